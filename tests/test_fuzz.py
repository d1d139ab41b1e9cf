"""Schemathesis against the app's own /schema, in-process: no answer is a 5xx, and every answer keeps the contract.

Each operation gets the cases of Schemathesis' coverage phase (each field's bounds, and values just past them) and
a bounded number of fuzzed ones, derandomized, as an admin, on a database with orders, a packing list and a started
inspection (half the cases on a record ask for one that exists). Schemathesis' checks also send cases without the
token and with methods the route does not have. A case fails on a 5xx, on a status the document does not list for
the operation, and on a body or header that does not match the document.

`make test` runs it on a SQLite file with the defaults below; `make fuzz` runs more examples with a new seed, on
SQLite and PostgreSQL (FLOORCHECK_FUZZ_EXAMPLES, FLOORCHECK_FUZZ_SEED, FLOORCHECK_FUZZ_DATABASES).
"""

from __future__ import annotations

import io
import os
import random
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
import schemathesis
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from PIL import Image
from sqlalchemy.engine import make_url

from api.app import create_app
from api.auth.models import Role
from api.db import migrate
from api.settings import Settings
from tests.conftest import _create_user, _pg_admin, _run
from tests.helpers import (
    FAST_HASHING, PASSWORD, PG_URL, inspection_body, login, order_body, upload_packing_list,
)

EXAMPLES = int(os.environ.get("FLOORCHECK_FUZZ_EXAMPLES", "20"))
SEED = os.environ.get("FLOORCHECK_FUZZ_SEED", "20261201")  # "random": a new seed each run, printed
DATABASES = os.environ.get("FLOORCHECK_FUZZ_DATABASES", "sqlite").split(",")
seed = random.getrandbits(64) if SEED == "random" else int(SEED)

# Ids of records that exist, by parameter or body field name: half the cases of an operation on a record ask for
# one of these instead of a random id (which only ever finds nothing).
KNOWN: dict[str, list[str]] = {}


def _replaceable(name: str, value: Any) -> bool:
    """Only a valid value is replaced by a known one, so that a case meant to be invalid stays invalid."""
    if name == "kind":
        return isinstance(value, str)
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _known_variant(values: Any) -> Any:
    if not isinstance(values, dict):
        return st.just(values)
    known = {name: KNOWN[name] for name, value in values.items() if KNOWN.get(name) and _replaceable(name, value)}
    if not known:
        return st.just(values)
    existing = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in known.items()})
    return st.one_of(st.just(values), existing.map(lambda ids: {**values, **ids}))


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    return _known_variant(path_parameters)


@schemathesis.hook
def flatmap_query(context: Any, query: dict[str, Any]) -> Any:
    return _known_variant(query)


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return _known_variant(body)


def _image(fmt: str) -> st.SearchStrategy[bytes]:
    """Small real images (down to 1×1 pixel) in an upload format, to get past the format sniffing."""

    def encode(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", size, colour).save(out, format=fmt)
        return out.getvalue()

    sizes = st.tuples(st.integers(1, 48), st.integers(1, 48))
    colours = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
    return st.builds(encode, sizes, colours)


pillow_heif.register_heif_opener()
for _media, _fmt in (("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/webp", "WEBP"), ("image/heic", "HEIF")):
    schemathesis.openapi.media_type(_media, _image(_fmt))

CALLS: dict[str, int] = {}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Counts the requests sent (the checks' own requests too), by status."""
    CALLS[str(response.status_code)] = CALLS.get(str(response.status_code), 0) + 1


def _document() -> dict[str, Any]:
    """The app's document, as /schema/openapi.json serves it (the routes do not depend on the settings)."""
    return create_app(Settings(database_url="sqlite+aiosqlite:///:memory:")).openapi_schema.to_schema()


CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "seed": seed,
    "base-url": "http://testserver",  # the calls go to the app in-process (`app=`), never to the network
    # A slow or large case is still a case: the budget is set by the examples per operation.
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
    # Schema-valid input may still break a business rule (422: documented), or a rule across parameters (400, see
    # schema_valid_input_is_no_validation_error).
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409",
                                                                   "422", "429"]},
               # A body over the route's limit is refused before it is read (413), which is a refusal too.
               "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "406", "409",
                                                                 "413", "415", "422", "428", "429"]}},
    # The admin's token is sent with every case (the checks send some without it): no generated credentials.
    "generation": {"max-examples": EXAMPLES, "deterministic": SEED != "random", "database": "none",
                   "with-security-parameters": False},
})
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@pytest.fixture(scope="module", params=DATABASES)
def fuzz_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the module's own: the fuzzed operations share it, so what one creates the next may meet."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "floorcheck.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"floorcheck_fuzz_{uuid.uuid4().hex[:10]}"
    try:
        _run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        _run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def fuzz_app(fuzz_db: str, tmp_path_factory: pytest.TempPathFactory,
             pytestconfig: pytest.Config) -> Iterator[tuple[Litestar, str]]:
    """The app under test and an admin's token, after orders, a packing list and a started inspection were made
    through the API (by another app instance on the same database)."""
    from schemathesis.python import asgi

    database = make_url(fuzz_db).get_backend_name()
    _say(pytestconfig, f"fuzz on {database}: seed {seed}, {EXAMPLES} examples per operation")
    media = tmp_path_factory.mktemp("fuzz-media")
    settings = Settings(database_url=fuzz_db, media_dir=Path(media), secret_key="fuzz-secret", **FAST_HASHING)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        token = _populate(client, settings)
    app = create_app(settings)
    CALLS.clear()
    try:
        yield app, token
    finally:
        asgi.shutdown_lifespans()  # the lifespan Schemathesis started for `app`
        _say(pytestconfig, f"fuzz on {database}: {sum(CALLS.values())} requests, by status "
                           f"{dict(sorted(CALLS.items()))}")


def _say(config: pytest.Config, line: str) -> None:
    """A line in pytest's output, without -s (not from an xdist worker, which has no terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)


def _populate(client: TestClient, settings: Settings) -> str:
    _run(_create_user(settings.database_url, "admin", Role.admin))
    admin = login(client, "admin")
    customers = [admin.post("/api/customers", json={"code": c, "name": f"Customer {c}"}).json() for c in ("C1", "C2")]
    factories = [admin.post("/api/factories", json={"code": f, "name": f"Factory {f}"}).json() for f in ("F1", "F2")]
    orders = [admin.post("/api/orders", json=order_body(customers[i]["id"], factories[i]["id"], f"PO-{i + 1}")).json()
              for i in range(2)]
    users = {}
    for role, extra in (("inspector", {}), ("factory", {"factory_id": factories[0]["id"]})):
        created = admin.post("/api/users", json={"username": role, "password": PASSWORD, "role": role, **extra})
        assert created.status_code == 201, created.text
        users[role] = created.json()["id"]
    inspector = login(client, "inspector")
    assert upload_packing_list(admin, orders[0]).status_code == 201
    inspection_id = str(uuid.uuid4())
    booked = admin.post(f"/api/orders/{orders[0]['id']}/inspections",
                        json={"id": inspection_id, "type": "pre_shipment", "assignee_id": inspector.id})
    assert booked.status_code == 201, booked.text
    started = inspector.put(f"/api/inspections/{inspection_id}", json=inspection_body(orders[0], version=1))
    assert started.status_code == 200, started.text
    defect_id, photo_id = str(uuid.uuid4()), str(uuid.uuid4())
    defect = inspector.put(f"/api/inspections/{inspection_id}/defects/{defect_id}",
                           json={"code": "W01", "severity": "major", "count": 1})
    assert defect.status_code == 201, defect.text
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(photo, format="JPEG")
    uploaded = inspector.put(f"/api/photos/{photo_id}", content=photo.getvalue(),
                             params={"inspection_id": inspection_id}, headers={"Content-Type": "image/jpeg"})
    assert uploaded.status_code == 201, uploaded.text
    KNOWN.clear()
    KNOWN.update(order_id=[o["id"] for o in orders], inspection_id=[inspection_id],
                 factory_id=[f["id"] for f in factories], customer_id=[c["id"] for c in customers],
                 user_id=list(users.values()), assignee_id=[inspector.id],
                 line_id=[line["id"] for line in orders[0]["lines"]], defect_id=[defect_id], photo_id=[photo_id],
                 kind=["display", "thumb", "original"])
    return admin.token


@schemathesis.check
def schema_valid_input_is_no_validation_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request the document calls valid may be refused for a rule across parameters that a schema cannot state
    (`ship_from` after `ship_to`: a `bad-parameter` problem) or a business rule (422), never as invalid input."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    if getattr(case.meta.phase.data, "description", None) == "Multipart body with custom encoding":
        # Schemathesis 4.32 builds this coverage case from the file part alone and sends "" for the other required
        # form fields (a UUID here), yet calls it schema-valid: it is not.
        return None
    problem_type = (response.json() or {}).get("type", "")
    assert problem_type.endswith("/bad-parameter"), (
        f"Schema-valid input refused as invalid: the document allows what the server refuses.\n{response.text}")
    return None


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Litestar converts bodies and parameters with msgspec's lax mode (strict=False): `0` is accepted for a
    boolean, `"12"` or `12.0` for an integer. A value of the wrong JSON type that converts is no contract breach
    (the app never answers with it), so such a case is not counted as invalid input accepted; every other kind of
    invalid input (lengths, ranges, patterns, unknown or missing fields) still must be refused."""
    from schemathesis.core.failures import AcceptedNegativeData

    return not (isinstance(failure, AcceptedNegativeData) and failure.message.rstrip().endswith("Incorrect type"))


def _new_session(app: Litestar) -> str:
    from schemathesis.python import asgi

    with asgi.get_client(app) as client:
        answer = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


@schema.parametrize()
def test_the_api_keeps_its_contract(case: Any, fuzz_app: tuple[Litestar, str]) -> None:
    app, token = fuzz_app
    # The schema was loaded before the app existed: its checks' own requests (without the token, say) go to it too.
    case.operation.schema.app = app
    if case.operation.definition.raw.get("operationId") == "logout":
        token = _new_session(app)  # a logout ends the session it is sent with
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"})
