"""The app as a whole: health, docs, and precise problem+json answers to bad input."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

from litestar.testing import TestClient

from api.app import create_app
from tests.helpers import assert_problem

ROOT = Path(__file__).resolve().parents[1]



def test_health_is_public(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_schema_is_public_and_can_be_turned_off(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/schema/openapi.json").status_code == 200
    with TestClient(create_app(replace(settings, schema_enabled=False))) as closed:
        assert closed.get("/schema/openapi.json").status_code in {401, 404}


def test_every_api_route_needs_a_user(client: TestClient) -> None:
    for path in ("/api/orders", "/api/customers", "/api/users", "/api/auth/me", "/api/cartons/lookup?code=1"):
        body = assert_problem(client.get(path), 401)
        assert "log in" in body["detail"].lower()


def test_a_bad_token_is_refused(client: TestClient) -> None:
    assert_problem(client.get("/api/orders", headers={"Authorization": "Bearer nonsense"}), 401)


def test_malformed_json_gets_400(world) -> None:  # type: ignore[no-untyped-def]
    response = world.admin.post("/api/customers", content=b'{"code": "X", ', headers={"Content-Type": "application/json"})
    assert_problem(response, 400)


def test_wrong_type_names_the_field(world) -> None:  # type: ignore[no-untyped-def]
    body = dict(code="X", name=12)
    problem = assert_problem(world.admin.post("/api/customers", json=body), 400)
    assert "name" in problem["detail"]


def test_unknown_field_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.admin.post("/api/customers", json={"code": "X", "name": "Y", "colour": 1}), 400)
    assert "colour" in problem["detail"]


def test_json_sent_as_text_plain_gets_415(world) -> None:  # type: ignore[no-untyped-def]
    response = world.admin.post("/api/customers", content=b'{"code": "X", "name": "Y"}',
                                headers={"Content-Type": "text/plain"})
    assert_problem(response, 415)
    assert world.admin.get("/api/customers").json() == world.customers  # nothing was written


def test_too_large_body_gets_413(world) -> None:  # type: ignore[no-untyped-def]
    response = world.admin.post("/api/customers", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
    assert_problem(response, 413)


def test_unknown_route_is_problem_json(world) -> None:  # type: ignore[no-untyped-def]
    assert_problem(world.admin.get("/api/nothing-here"), 404)


def test_bad_query_parameter_names_it(world) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.admin.get("/api/orders?page=0"), 400)
    assert "page" in problem["detail"]
    problem = assert_problem(world.admin.get("/api/orders?ship_from=yesterday"), 400)
    assert "ship_from" in problem["detail"]


def test_pwa_shell_is_public(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in {301, 302, 307, 308}
    assert response.headers["location"] == "/app/"


def test_health_says_when_the_database_is_unreachable(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite3")
    with TestClient(create_app(broken)) as closed:
        assert_problem(closed.get("/health"), 503)


def test_cli_migrate_says_what_it_did(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from api.cli import main as cli

    path = tmp_path / "new" / "floorcheck.sqlite3"
    monkeypatch.setenv("FLOORCHECK_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    latest = max(p.name[:4] for p in (ROOT / "api" / "migrations" / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert cli(["migrate"]) == 0
    first = capsys.readouterr().out
    assert str(path) in first and f"migrated from an empty database to {latest}" in first
    assert cli(["migrate"]) == 0
    again = capsys.readouterr().out
    assert f"already at the latest migration, {latest}" in again and "nothing to do" in again


def test_cli_demo_prints_the_logins_every_time(settings, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from api.cli import main as cli
    from api.demo import PASSWORD

    monkeypatch.setenv("FLOORCHECK_DATABASE_URL", settings.database_url)
    logins = [f"demo-{role}" for role in ("admin", "supervisor", "merchandiser", "inspector", "factory")]
    assert cli(["demo"]) == 0
    first = capsys.readouterr().out
    assert "Demo data loaded" in first and PASSWORD in first and all(name in first for name in logins)
    assert cli(["demo"]) == 0
    again = capsys.readouterr().out
    assert "already loaded" in again and PASSWORD in again and all(name in again for name in logins)


def test_every_problem_carries_both_languages(client, admin) -> None:  # type: ignore[no-untyped-def]
    answers = [
        (admin.post("/api/customers", json={"code": 5}), 400),  # a body that does not validate
        (client.get("/api/orders"), 401),  # no login
        (admin.get("/api/nowhere"), 404),
        (admin.delete("/api/auth/me"), 405),
        (admin.post("/api/customers", content=b"{}", headers={"Content-Type": "text/plain"}), 415),
    ]
    for response, status in answers:
        problem = assert_problem(response, status)
        assert problem["detail_zh"], (status, problem)


def test_the_api_docs_load_nothing_from_elsewhere(client) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI is vendored (static/docs): a CDN would leave /schema blank offline and in mainland China."""
    page = client.get("/schema")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert not re.findall(r"https?://", page.text)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 10_000
    sums = dict(line.split()[::-1] for line in (ROOT / "static" / "docs" / "SHA256SUMS").read_text().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256((ROOT / "static" / "docs" / name).read_bytes()).hexdigest() == digest
