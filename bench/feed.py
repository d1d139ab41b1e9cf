"""Change feed benchmark (not a test): an inspector with 20 assignments of 1,000 findings each.

    .venv/bin/python bench/feed.py [--assignments 20] [--findings 1000] [--rounds 3] [--only sqlite|postgresql]

On SQLite (a fresh file) and on PostgreSQL (a database of its own, dropped at the end), against the real
server (`floorcheck serve` on 127.0.0.1, one keep-alive connection; bench/inspections.py's). Set-up through
the API: bench/inspections.py's order, then --assignments pre-shipment inspections assigned to the inspector;
their --findings defects each are inserted straight into the database (the set-up is not what is measured).
Measured, as the inspector, median over --rounds:
  * snapshot: GET /api/sync/changes without `since`, every page (limit 2000) until `more` is false;
  * naive: what a phone had to do before the feed: GET /api/inspections/{id} for each assignment, plus the
    defect library and the checklist templates (and it still learns nothing about deletions);
  * incremental: 20 defect edits by the inspector, then GET /api/sync/changes?since=<cursor>;
  * idle: the same read when nothing changed.
Figures: milliseconds and bytes of response bodies; the naive / snapshot and snapshot / incremental ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from api.db import create_engine, create_sessionmaker, utcnow  # noqa: E402
from api.inspections.models import Defect  # noqa: E402

# The server, client and set-up are bench/inspections.py's; the databases bench/push.py's.
from inspections import Client, login, server, set_up, table  # noqa: E402
from push import new_inspection, postgresql_database, sqlite_database  # noqa: E402

FEED = "/api/sync/changes"


def get_bytes(client: Client, path: str) -> tuple[object, float, int]:
    """(body, seconds, body bytes) of one GET."""
    start = time.perf_counter()
    client.conn.request("GET", path, headers={"Authorization": f"Bearer {client.token}"})
    response = client.conn.getresponse()
    raw = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {raw[:300]!r}")
    return json.loads(raw), elapsed, len(raw)


def read_feed(client: Client, since: str | None) -> tuple[str, float, int, int]:
    """Every page: (next cursor, seconds, bytes, items)."""
    seconds = size = count = 0
    while True:
        path = f"{FEED}?limit=2000" + (f"&since={since}" if since else "")
        body, elapsed, length = get_bytes(client, path)
        seconds, size, count = seconds + elapsed, size + length, count + len(body["items"])  # type: ignore[index]
        since = body["next"]  # type: ignore[index]
        if not body["more"]:  # type: ignore[index]
            return since, seconds, size, count  # type: ignore[return-value]


async def insert_findings(db_url: str, inspection_ids: list[str], per: int, codes: list[dict]) -> None:
    rng = random.Random(7)
    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine, writer=True).begin() as session:
            now = utcnow()
            for inspection_id in inspection_ids:
                rows = [{"id": uuid.uuid4(), "inspection_id": uuid.UUID(inspection_id), "code": code["code"],
                         "severity": code["default_severity"], "count": 1, "sample_unit": f"U{i % 200 + 1:03d}",
                         "location": rng.choice(["front", "back", "collar"]), "note": "", "photo_ids": [],
                         "version": 1, "created_at": now, "updated_at": now}
                        for i, code in ((i, rng.choice(codes)) for i in range(per))]
                await session.execute(insert(Defect), rows)
    finally:
        await engine.dispose()


def run(db_url: str, tmp: Path, args: argparse.Namespace) -> list[tuple[str, ...]]:
    with server(tmp, db_url) as port:
        client = Client(port)
        ctx = set_up(client)  # the inspector's first assignment, and the client logged in as the inspector
        first: dict = ctx["inspection"]  # type: ignore[assignment]
        codes: list[dict] = ctx["codes"]  # type: ignore[assignment]
        admin = login(client, "bench-admin")
        ids = [first["id"]] + [new_inspection(client, admin, first["order"]["id"], first["assignee_id"])
                               for _ in range(args.assignments - 1)]
        asyncio.run(insert_findings(db_url, ids, args.findings, codes))
        snapshot, naive, incremental, idle = [], [], [], []
        cursor = None
        for _ in range(args.rounds):
            cursor, seconds, size, items = read_feed(client, None)
            snapshot.append((seconds, size, items))
            start, total = time.perf_counter(), 0
            for inspection_id in ids:
                total += get_bytes(client, f"/api/inspections/{inspection_id}")[2]
            total += get_bytes(client, "/api/defect-codes")[2] + get_bytes(client, "/api/checklist-templates")[2]
            naive.append((time.perf_counter() - start, total, 0))
            for inspection_id in ids:  # one new defect on each assignment
                client.call("PUT", f"/api/inspections/{inspection_id}/defects/{uuid.uuid4()}",
                            {"code": "W01", "severity": "major"})
            cursor, seconds, size, items = read_feed(client, cursor)
            incremental.append((seconds, size, items))
            _, seconds, size, items = read_feed(client, cursor)
            idle.append((seconds, size, items))

    def row(name: str, runs: list[tuple[float, int, int]]) -> tuple[str, ...]:
        return (name, f"{statistics.median(r[0] for r in runs) * 1000:.1f}",
                f"{statistics.median(r[1] for r in runs) / 1024:.1f}", f"{statistics.median(r[2] for r in runs):.0f}")

    ms = lambda runs: statistics.median(r[0] for r in runs)  # noqa: E731
    print(f"  naive / snapshot time: {ms(naive) / ms(snapshot):.2f}x;  snapshot / incremental time: "
          f"{ms(snapshot) / ms(incremental):.0f}x, bytes: "
          f"{statistics.median(r[1] for r in snapshot) / statistics.median(r[1] for r in incremental):.0f}x",
          flush=True)
    return [row("snapshot (all pages)", snapshot), row("naive (GET each inspection + library)", naive),
            row(f"incremental ({args.assignments} new defects)", incremental), row("idle (nothing new)", idle)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", type=int, default=20)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, {args.assignments} assignments x "
          f"{args.findings} defects, {args.rounds} rounds", flush=True)
    for name, database in (("sqlite", sqlite_database), ("postgresql", postgresql_database)):
        if args.only and args.only != name:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp, database(Path(tmp)) as found:
            if found is None:
                continue
            url, label = found
            print(f"\n{label}", flush=True)
            table(("read", "median ms", "KiB", "items"), run(url, Path(tmp), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
