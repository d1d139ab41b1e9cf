"""Batch push benchmark (not a test): 500 defects in one POST /api/sync/push against 500 single PUTs.

    .venv/bin/python bench/push.py [--operations 500] [--rounds 3] [--only sqlite|postgresql]

On SQLite (a fresh file in a temporary directory) and on PostgreSQL (a database of its own, created on the
server at FLOORCHECK_TEST_PG, default postgresql+asyncpg://postgres@127.0.0.1:5432/test, and dropped at the
end; skipped when no server answers), against the real server: `floorcheck serve` as a subprocess on
127.0.0.1, driven by one keep-alive http.client connection, one request at a time. The client shares the
machine. The set-up is bench/inspections.py's (an order, a spec sheet, a pre-shipment inspection).

Each round books two fresh inspections of the same order, assigned to the inspector, and records on them, as
the inspector, the same kind of 500 defects (codes from GET /api/defect-codes, mixed severities):
  * push: one POST /api/sync/push of 500 `defect` operations (each in its own savepoint, one commit);
  * single: the same 500 as PUT /api/inspections/{id}/defects/{uuid}, one request (one commit) each;
  * replay: the same push sent again (every operation a replay: 200, nothing written).
The order of push and single alternates between rounds. Figures: the round's wall time divided by the
operations (ms per operation), median over the rounds, and the single / push ratio. No timing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from api.db import migrate  # noqa: E402
from api.inspections.rules import SEVERITIES  # noqa: E402

# The real server, the keep-alive client and the set-up are bench/inspections.py's (this directory is on the
# path when a bench script runs).
from inspections import Client, login, server, set_up, table  # noqa: E402

PG_URL = os.environ.get("FLOORCHECK_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


# --- the databases -----------------------------------------------------------------------------------------


async def _pg_admin(sql: str) -> str:
    """Run one statement on the server's maintenance connection; its first value, if it returns rows."""
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(sql))
            return str(result.scalar()) if result.returns_rows else ""
    finally:
        await engine.dispose()


@contextlib.contextmanager
def sqlite_database(tmp: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite+aiosqlite:///{tmp / 'push.sqlite3'}"
    migrate(url)
    yield url, f"SQLite {sqlite3.sqlite_version} (file, WAL)"


@contextlib.contextmanager
def postgresql_database(_tmp: Path) -> Iterator[tuple[str, str] | None]:
    name = f"floorcheck_bench_{uuid.uuid4().hex[:10]}"
    try:
        version = asyncio.run(_pg_admin("SHOW server_version"))
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        print(f"  PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}; skipped", flush=True)
        yield None
        return
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url, f"PostgreSQL {version.split()[0]} ({make_url(PG_URL).host})"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- the operations ----------------------------------------------------------------------------------------


def defect_bodies(codes: list[dict], n: int, rng: random.Random) -> list[dict]:
    bodies = []
    for i in range(n):
        code = rng.choice(codes)
        severity = rng.choices([code["default_severity"], "major", "minor", "critical"], [80, 9, 9, 2])[0]
        bodies.append({"code": code["code"], "severity": severity, "count": rng.choices([1, 2, 3], [85, 10, 5])[0],
                       "sample_unit": f"U{i % 200 + 1:03d}",
                       "location": rng.choice(["front", "back", "left sleeve", "collar", "hem"])})
    return bodies


def new_inspection(client: Client, admin: str, order_id: str, inspector_id: str) -> str:
    inspection_id = str(uuid.uuid4())
    client.call("PUT", f"/api/inspections/{inspection_id}", {
        "order_id": order_id, "type": "pre_shipment", "lot_size": 5000, "units_inspected": 200,
        "assignee_id": inspector_id}, token=admin)
    return inspection_id


def by_push(client: Client, iid: str, bodies: list[dict], ids: list[str], expect: int) -> float:
    operations = [{"kind": "defect", "key": {"inspection_id": iid, "defect_id": defect_id}, "body": body}
                  for defect_id, body in zip(ids, bodies, strict=True)]
    _, answer, elapsed = client.call("POST", "/api/sync/push", {"operations": operations}, expect=(200,))
    statuses = {r["status"] for r in answer["results"]}  # type: ignore[index]
    if statuses != {expect} or len(answer["results"]) != len(bodies):  # type: ignore[index, arg-type]
        raise AssertionError(f"the push answered {statuses}, expected {expect} for every operation")
    return elapsed


def by_single_requests(client: Client, iid: str, bodies: list[dict], ids: list[str]) -> float:
    start = time.perf_counter()
    for defect_id, body in zip(ids, bodies, strict=True):
        client.call("PUT", f"/api/inspections/{iid}/defects/{defect_id}", body, expect=(201,))
    return time.perf_counter() - start


def check(client: Client, iid: str, bodies: list[dict]) -> None:
    """The served tally must match what was sent, whichever way it was sent."""
    result = client.call("GET", f"/api/inspections/{iid}/result")[1]
    expected = dict.fromkeys(SEVERITIES, 0)
    for body in bodies:
        expected[body["severity"]] += body["count"]
    got = {s: result["severities"][s]["count"] for s in SEVERITIES}  # type: ignore[index]
    if got != expected:
        raise AssertionError(f"counts differ: served {got}, sent {expected}")


def run(db_url: str, tmp: Path, n: int, rounds: int, rng: random.Random) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"push": [], "single": [], "replay": []}
    with server(tmp, db_url) as port:
        client = Client(port)
        world = set_up(client)
        admin = login(client, "bench-admin")
        order_id = world["inspection"]["order"]["id"]  # type: ignore[index]
        inspector_id = world["inspection"]["assignee_id"]  # type: ignore[index]
        warm = defect_bodies(world["codes"], 20, rng)  # type: ignore[arg-type]
        iid = world["inspection"]["id"]  # type: ignore[index]
        by_push(client, iid, warm, [str(uuid.uuid4()) for _ in warm], 201)  # warm-up of both paths
        by_single_requests(client, iid, warm, [str(uuid.uuid4()) for _ in warm])
        for index in range(rounds):
            bodies = defect_bodies(world["codes"], n, rng)  # type: ignore[arg-type]
            pushed, singled = (new_inspection(client, admin, order_id, inspector_id) for _ in range(2))
            push_ids, single_ids = [str(uuid.uuid4()) for _ in bodies], [str(uuid.uuid4()) for _ in bodies]
            for way in (("push", "single") if index % 2 == 0 else ("single", "push")):
                print(f"  round {index + 1}: {way} ...", flush=True)
                if way == "push":
                    times["push"].append(by_push(client, pushed, bodies, push_ids, 201))
                else:
                    times["single"].append(by_single_requests(client, singled, bodies, single_ids))
            times["replay"].append(by_push(client, pushed, bodies, push_ids, 200))
            check(client, pushed, bodies)
            check(client, singled, bodies)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=500, help="defects per push (at most 500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per database")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    args = parser.parse_args()
    rng = random.Random(4711)
    rows = []
    print(f"Push benchmark: {args.operations} defects in one POST /api/sync/push against {args.operations} single "
          f"PUT requests; real server (floorcheck serve, uvicorn) on 127.0.0.1, one keep-alive http.client "
          f"connection; Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)
    for name, database in (("sqlite", sqlite_database), ("postgresql", postgresql_database)):
        if args.only and args.only != name:
            continue
        with tempfile.TemporaryDirectory(prefix="floorcheck-bench-") as tmp_name, database(Path(tmp_name)) as found:
            if found is None:
                rows.append((name, "skipped", "", "", "", ""))
                continue
            db_url, label = found
            print(f"{label}:", flush=True)
            times = run(db_url, Path(tmp_name), args.operations, args.rounds, rng)
        push, single, replay = (statistics.median(times[k]) * 1000 / args.operations
                                for k in ("push", "single", "replay"))
        rows.append((label, f"{push:.2f}", f"{single:.2f}", f"{single / push:.1f}x", f"{replay:.2f}",
                     f"{statistics.median(times['push']):.2f} / {statistics.median(times['single']):.2f}"))
    print()
    print(f"ms per operation, median of {args.rounds} rounds of {args.operations} defects on a fresh inspection:")
    table(("database", "push ms/op", "single PUT ms/op", "single / push", "push replay ms/op",
           "push s / single s"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
