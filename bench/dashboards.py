"""Dashboards benchmark (not a test): the aggregate queries against the naive way, on ~10,000 inspections.

    .venv/bin/python bench/dashboards.py [--inspections 10000] [--repeats 7] [--only sqlite|postgresql]

A fresh SQLite database in a temporary directory, then a fresh PostgreSQL database (made and dropped as
bench/push.py does; skipped when the server cannot be reached). Seeded in bulk: 20 factories, 40 customers,
one order per 5 inspections, --inspections pre-shipment and DUPRO inspections submitted over 90 days (1 in 20
later corrected by a revision, 1 in 10 a re-inspection), about 3 defects each from the library, and open
follow-ups.

Measured in-process, each call in a fresh session, median of --repeats, as an admin (every order visible):
  * pass rate by factory over the last 30 days: DashboardService.pass_rate (GROUP BY in the database) against
    loading the same counted inspections (the same WHERE) with their factories as ORM objects and counting in
    Python;
  * the defect Pareto (top 10) over 30 days: DashboardService.pareto (SUM … GROUP BY) against loading every
    live defect of the counted inspections as an ORM object and summing in Python.
Both ways must give the same figures; the script checks that before it prints the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from api.auth.models import Role, User  # noqa: E402
from api.dashboards import figures  # noqa: E402
from api.dashboards.services import DashboardService, counted, today  # noqa: E402
from api.db import create_engine, create_sessionmaker  # noqa: E402
from api.inspections.library import DEFECT_LIBRARY  # noqa: E402
from api.inspections.lifecycle import Status  # noqa: E402
from api.inspections.models import Defect, Inspection  # noqa: E402
from api.orders.models import Customer, Factory, Order  # noqa: E402
from push import postgresql_database, sqlite_database  # noqa: E402

ADMIN = User(id=uuid.uuid4(), username="bench", role=Role.admin)


def rows(n: int, rng: random.Random) -> dict[Any, list[dict]]:
    now = datetime.now(UTC)
    factories = [{"id": uuid.uuid4(), "code": f"F{i:02d}", "name": f"Factory {i}"} for i in range(20)]
    customers = [{"id": uuid.uuid4(), "code": f"C{i:02d}", "name": f"Customer {i}"} for i in range(40)]
    orders = [{"id": uuid.uuid4(), "customer_id": rng.choice(customers)["id"],
               "factory_id": rng.choice(factories)["id"],
               "po_number": f"PO-{i:05d}", "style_number": f"ST-{i:05d}", "ship_date": today() + timedelta(days=i % 60)}
              for i in range(max(1, n // 5))]
    inspections, defects = [], []
    codes = [c[0] for c in DEFECT_LIBRARY]
    for i in range(n):
        submitted = now - timedelta(days=rng.uniform(0, 90))
        type_ = "pre_shipment" if i % 3 else "in_process"
        verdict = rng.choices(["pass", "fail"], [85, 15])[0] if type_ == "pre_shipment" else None
        inspections.append({"id": uuid.uuid4(), "order_id": rng.choice(orders)["id"], "type": type_,
                            "status": Status.submitted.value, "submitted_at": submitted, "verdict": verdict,
                            "created_at": submitted, "updated_at": submitted})
    links = []  # set once every inspection exists: they point both ways
    for i, row in enumerate(inspections):
        if i % 20 == 0 and i + 1 < len(inspections):
            links.append({"id": row["id"], "superseded_by_id": inspections[i + 1]["id"]})  # only the revision counts
        if i % 10 == 5:
            links.append({"id": row["id"], "reinspection_of_id": inspections[i - 1]["id"]})
        for _ in range(rng.choice((0, 1, 2, 3, 4, 5, 6))):
            follow_up = row["type"] == "in_process" and rng.random() < 0.2
            defects.append({"id": uuid.uuid4(), "inspection_id": row["id"], "code": rng.choice(codes),
                            "severity": rng.choice(("minor", "major")), "count": rng.choice((1, 1, 1, 2, 3)),
                            "follow_up": follow_up, "follow_up_due": today() - timedelta(days=rng.randint(-10, 30))
                            if follow_up else None,
                            "deleted_at": now if rng.random() < 0.03 else None})
    return {Factory: factories, Customer: customers, Order: orders, Inspection: inspections, Defect: defects,
            "links": links}


async def seed(url: str, n: int) -> int:
    engine = create_engine(url)
    try:
        data = rows(n, random.Random(20261201))
        async with create_sessionmaker(engine, writer=True).begin() as session:
            links = data.pop("links")
            for model, values in data.items():
                for start in range(0, len(values), 2000):
                    await session.execute(insert(model), values[start:start + 2000])
            for kind in ("superseded_by_id", "reinspection_of_id"):
                await session.execute(update(Inspection), [link for link in links if kind in link])
        return len(data[Defect])
    finally:
        await engine.dispose()


async def naive_pass_rate(session: AsyncSession, date_from: date, date_to: date) -> dict[str, tuple[int, int, int]]:
    """The same counted inspections (the same WHERE), loaded with their factories as objects and counted in Python."""
    found = await session.execute(select(Inspection, Factory).join(Order, Order.id == Inspection.order_id)
                                  .join(Factory, Factory.id == Order.factory_id)
                                  .where(*counted(ADMIN, date_from, date_to, None)))
    counts: dict[str, list[int]] = {}
    for inspection, factory in found:
        c = counts.setdefault(factory.code, [0, 0, 0])
        c[0] += 1
        c[1] += inspection.verdict == "pass"
        c[2] += inspection.verdict == "fail"
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


async def naive_pareto(session: AsyncSession, date_from: date, date_to: date, top: int) -> list[tuple[str, int]]:
    """Every live defect of the counted inspections loaded as an object, summed by code in Python."""
    found = await session.scalars(select(Defect).join(Inspection, Inspection.id == Defect.inspection_id)
                                  .join(Order, Order.id == Inspection.order_id)
                                  .where(Defect.deleted_at.is_(None), *counted(ADMIN, date_from, date_to, None)))
    sums: Counter[str] = Counter()
    for defect in found:
        sums[defect.code] += defect.count
    return sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


async def measure(url: str, repeats: int) -> None:
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    date_to = today()
    date_from = date_to - timedelta(days=29)

    async def timed(work):  # type: ignore[no-untyped-def]
        times, result = [], None
        for _ in range(repeats):
            async with maker() as session:
                start = time.perf_counter()
                result = await work(session)
                times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000, result

    try:
        async with maker() as session:
            counted_n = len((await session.execute(select(Inspection.id).join(Order, Order.id == Inspection.order_id)
                                                   .where(*counted(ADMIN, date_from, date_to, None)))).all())
        print(f"counted inspections in the last 30 days: {counted_n:,}")
        fast_ms, fast = await timed(lambda s: DashboardService(s, ADMIN).pass_rate("factory", date_from, date_to, None))
        slow_ms, slow = await timed(lambda s: naive_pass_rate(s, date_from, date_to))
        assert {r.code: (r.inspections, r.passed, r.failed) for r in fast.items} == slow, "pass rates differ"
        assert fast.total.pass_rate == figures.rate(sum(v[1] for v in slow.values()), sum(v[2] for v in slow.values()))
        print(f"pass rate by factory : aggregate {fast_ms:8.1f} ms   naive {slow_ms:8.1f} ms   "
              f"naive/aggregate {slow_ms / fast_ms:5.1f}x")
        fast_ms, fast = await timed(lambda s: DashboardService(s, ADMIN).pareto(date_from, date_to, None, 10))
        slow_ms, slow = await timed(lambda s: naive_pareto(s, date_from, date_to, 10))
        assert [(i.code, i.count) for i in fast.items] == slow, "Pareto figures differ"
        print(f"defect Pareto top 10 : aggregate {fast_ms:8.1f} ms   naive {slow_ms:8.1f} ms   "
              f"naive/aggregate {slow_ms / fast_ms:5.1f}x")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inspections", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for name, database in (("sqlite", sqlite_database), ("postgresql", postgresql_database)):
        if args.only not in (None, name):
            continue
        with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as found:
            if found is None:
                continue
            url, label = found
            start = time.perf_counter()
            defects = asyncio.run(seed(url, args.inspections))
            print(f"{label}: {args.inspections:,} inspections, {defects:,} defects seeded in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            asyncio.run(measure(url, args.repeats))


if __name__ == "__main__":
    main()
