"""Inspection findings benchmark (not a test): 500 defects and 500 measurements on one inspection, then reads.

    .venv/bin/python bench/inspections.py [--findings 500] [--results 200] [--full 30] [--tallies 200]

Everything runs on a fresh SQLite database in a temporary directory (var/ is never touched), against
the real server: `floorcheck serve` as a subprocess on 127.0.0.1, driven by one keep-alive
http.client connection, one request at a time (a phone syncing its queue). The client shares the machine.

Set-up: an admin (`floorcheck users create`), then through the API an inspector, a customer, a factory,
an order with 6 lines, a spec sheet (6 points of measure in cm) and a pre-shipment inspection of a
5,000-piece lot assigned to the inspector (no packing list, so no cartons are drawn). Measured, as the
inspector:
  * --findings x PUT /api/inspections/{id}/defects/{uuid}: codes from GET /api/defect-codes, mixed severities;
  * --findings x PUT /api/inspections/{id}/measurements/{uuid}: 6 points per sample unit, about 1 in 10 out;
  * --results x GET /api/inspections/{id}/result, and --full x GET /api/inspections/{id} (the offline payload);
  * --results x GET /health, the floor of a request (one SELECT 1, no authentication).
Then, in-process on the same database, InspectionService.tally (aggregate queries) against a naive tally
that loads every finding row into Python and sums there, each in a fresh session; --tallies runs each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from api.auth.models import User  # noqa: E402
from api.db import create_engine, create_sessionmaker, migrate  # noqa: E402
from api.inspections.models import ChecklistAnswer, Defect, Inspection, Measurement, SpecSheet  # noqa: E402
from api.inspections.rules import SEVERITIES, LiveResult, live_result  # noqa: E402
from api.inspections.services import InspectionService  # noqa: E402

PASSWORD = "bench-password-2024"
SIZES = ("S", "M", "L")
# code, name, spec per size (cm), tolerance
POINTS = [("CH", "Chest 1/2", (50, 53, 56), "1"), ("BL", "Body length", (70, 72, 74), "1"),
          ("SL", "Sleeve length", (60, 61.5, 63), "1"), ("SH", "Shoulder", (44, 46, 48), "0.5"),
          ("HEM", "Hem 1/2", (48, 51, 54), "1"), ("NW", "Neck width", (18, 18.5, 19), "0.5")]


# --- the server and a keep-alive client --------------------------------------------------------------


class Client:
    """One keep-alive connection; each call returns (status, decoded body, seconds for the round trip)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token: str | None = None

    def call(self, method: str, path: str, body: object = None, expect: tuple[int, ...] = (200, 201),
             token: str | None = None) -> tuple[int, object, float]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - start
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:500]!r}")
        return response.status, json.loads(raw) if raw else None, elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(tmp: Path, db_url: str):  # type: ignore[no-untyped-def]
    env = {**os.environ, "FLOORCHECK_DATABASE_URL": db_url, "FLOORCHECK_MEDIA_DIR": str(tmp / "media"),
           "FLOORCHECK_SECRET_KEY": "bench-secret"}
    script = Path(sys.executable).with_name("floorcheck")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    subprocess.run(cli + ["users", "create", "--username", "bench-admin", "--password", PASSWORD, "--role", "admin"],
                   env=env, check=True, capture_output=True, cwd=tmp)
    with running(lambda port: cli + ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp) as port:
        yield port


@contextlib.contextmanager
def running(command: Callable[[int], list[str]], env: dict[str, str], tmp: Path,
            log_name: str = "server.log") -> Iterator[int]:
    """The server `command(port)` starts on a free port, once it answers /health; stopped afterwards."""
    port = free_port()
    log = open(tmp / log_name, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command(port), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + (tmp / log_name).read_text()[-2000:])
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Client(port).call("GET", "/health")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /health within 30 s")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --- set-up and the measured requests ----------------------------------------------------------------


def login(client: Client, username: str) -> str:
    return client.call("POST", "/api/auth/login", {"username": username, "password": PASSWORD})[1]["token"]


def set_up(client: Client) -> dict[str, object]:
    admin = login(client, "bench-admin")
    inspector_user = client.call("POST", "/api/users", {"username": "bench-inspector", "password": PASSWORD,
                                                        "role": "inspector"}, token=admin)[1]
    customer = client.call("POST", "/api/customers", {"code": "BC", "name": "Bench Customer"}, token=admin)[1]
    factory = client.call("POST", "/api/factories", {"code": "BF", "name": "Bench Factory"}, token=admin)[1]
    lines = [{"colour": c, "size": s, "sku": f"BN-{c[:3].upper()}-{s}", "quantity": 834}
             for c in ("Black", "Navy") for s in SIZES]
    order = client.call("POST", "/api/orders", {"customer_id": customer["id"], "factory_id": factory["id"],
                                                "po_number": "PO-BENCH", "style_number": "ST-BENCH",
                                                "lines": lines}, token=admin)[1]
    sheet = {"unit": "cm", "defect_severity": "major", "points": [
        {"code": code, "name": name, "tol_minus": tol, "specs": {s: str(v) for s, v in zip(SIZES, specs)}}
        for code, name, specs, tol in POINTS]}
    client.call("PUT", f"/api/orders/{order['id']}/spec-sheet", sheet, token=admin)
    inspection_id = str(uuid.uuid4())
    inspection = client.call("PUT", f"/api/inspections/{inspection_id}", {
        "order_id": order["id"], "type": "pre_shipment", "lot_size": 5000, "units_inspected": 200,
        "assignee_id": inspector_user["id"]}, token=admin)[1]
    client.token = login(client, "bench-inspector")
    codes = client.call("GET", "/api/defect-codes")[1]
    return {"inspection": inspection, "codes": [c for c in codes if c["active"]]}


def add_defects(client: Client, iid: str, codes: list[dict], n: int, rng: random.Random) -> tuple[list[float], dict]:
    times, expected = [], dict.fromkeys(SEVERITIES, 0)
    for i in range(n):
        code = rng.choice(codes)
        # mostly the library's severity, sometimes graded up or down as inspectors do
        severity = rng.choices([code["default_severity"], "major", "minor", "critical"], [80, 9, 9, 2])[0]
        count = rng.choices([1, 2, 3], [85, 10, 5])[0]
        body = {"code": code["code"], "severity": severity, "count": count, "sample_unit": f"U{i % 200 + 1:03d}",
                "location": rng.choice(["front", "back", "left sleeve", "collar", "hem"])}
        times.append(client.call("PUT", f"/api/inspections/{iid}/defects/{uuid.uuid4()}", body, expect=(201,))[2])
        expected[severity] += count
    return times, expected


def add_measurements(client: Client, iid: str, n: int, rng: random.Random) -> tuple[list[float], set[str]]:
    times, off_units = [], set()
    for i in range(n):
        unit, (code, _, specs, tol) = f"M{i // len(POINTS) + 1:03d}", POINTS[i % len(POINTS)]
        size_index = (i // len(POINTS)) % len(SIZES)
        out = rng.random() < 0.1
        deviation = float(tol) * (rng.uniform(1.2, 2.5) if out else rng.uniform(-0.9, 0.9))
        deviation *= rng.choice((-1, 1)) if out else 1
        body = {"sample_unit": unit, "size": SIZES[size_index], "point": code,
                "reading": f"{specs[size_index] + deviation:.1f}"}
        _, record, elapsed = client.call("PUT", f"/api/inspections/{iid}/measurements/{uuid.uuid4()}", body,
                                         expect=(201,))
        times.append(elapsed)
        if not record["within"]:
            off_units.add(unit)
    return times, off_units


# --- the tally: the service's aggregate queries against a naive load-everything ---------------------


async def naive_tally(session, inspection: Inspection) -> LiveResult | None:  # type: ignore[no-untyped-def]
    """Every finding row of the inspection loaded as ORM objects, the counting done in Python."""
    if not inspection.plans:
        return None
    counts = dict.fromkeys(SEVERITIES, 0)
    for d in await session.scalars(select(Defect).where(Defect.inspection_id == inspection.id)):
        counts[d.severity] += d.count
    for a in await session.scalars(select(ChecklistAnswer).where(ChecklistAnswer.inspection_id == inspection.id)):
        if a.result == "fail":
            counts[a.severity or "major"] += 1
    measurements = await session.scalars(select(Measurement).where(Measurement.inspection_id == inspection.id))
    off_units = {m.sample_unit for m in measurements if not m.within}
    if off_units:
        sheet = await session.get(SpecSheet, inspection.order_id)
        counts[sheet.defect_severity if sheet else "major"] += len(off_units)
    return live_result(inspection.plans, counts, inspection.units_inspected)


async def compare_tallies(db_url: str, inspection_id: uuid.UUID, user_id: uuid.UUID,
                          runs: int) -> tuple[list[float], list[float], dict]:
    engine = create_engine(db_url)
    sessions = create_sessionmaker(engine)
    times: dict[str, list[float]] = {"service": [], "naive": []}
    answers: dict[str, dict] = {}
    try:
        for i in range(runs + 5):  # the first 5 of each are a warm-up
            for kind in (("service", "naive") if i % 2 else ("naive", "service")):  # alternate the order
                async with sessions() as session:
                    user = await session.get(User, user_id)
                    inspection = await session.get(Inspection, inspection_id)
                    start = time.perf_counter()
                    if kind == "service":
                        result = await InspectionService(session, user).tally(inspection)
                    else:
                        result = await naive_tally(session, inspection)
                    elapsed = time.perf_counter() - start
                if i >= 5:
                    times[kind].append(elapsed)
                answers[kind] = result.to_dict()
        if answers["naive"] != answers["service"]:
            raise AssertionError(f"the naive tally disagrees: {answers['naive']} != {answers['service']}")
        return times["service"], times["naive"], answers["service"]
    finally:
        await engine.dispose()


# --- report ------------------------------------------------------------------------------------------


def stats(times: list[float]) -> tuple[float, float, float, float]:
    """median, p90 and mean in ms, total in s."""
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
    return statistics.median(times) * 1000, p90 * 1000, statistics.fmean(times) * 1000, sum(times)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:  # the first column to the left, figures to the right
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    print(fmt(header))
    print(fmt(tuple("-" * w for w in widths)))
    for r in rows:
        print(fmt(r))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=500, help="defects, and as many measurements")
    parser.add_argument("--results", type=int, default=200, help="GET .../result requests")
    parser.add_argument("--full", type=int, default=30, help="GET /api/inspections/{id} requests")
    parser.add_argument("--tallies", type=int, default=200, help="in-process tally runs of each kind")
    args = parser.parse_args()
    rng = random.Random(2859)
    with tempfile.TemporaryDirectory(prefix="floorcheck-bench-") as name:
        tmp = Path(name)
        db_url = f"sqlite+aiosqlite:///{tmp / 'inspections.sqlite3'}"
        migrate(db_url)
        with server(tmp, db_url) as port:
            print(f"Inspection findings benchmark: real server (floorcheck serve, uvicorn) on 127.0.0.1:{port}, "
                  f"one keep-alive http.client connection, sequential requests; fresh SQLite "
                  f"{sqlite3.sqlite_version} in {tmp}; Python {platform.python_version()}, {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f} at the start",
                  flush=True)
            client = Client(port)
            world = set_up(client)
            iid = world["inspection"]["id"]
            for _ in range(5):  # warm-up of the read paths, on the empty inspection
                client.call("GET", f"/api/inspections/{iid}/result")
                client.call("GET", f"/api/inspections/{iid}")
            print(f"  adding {args.findings} defects ...", flush=True)
            defects, expected = add_defects(client, iid, world["codes"], args.findings, rng)
            print(f"  adding {args.findings} measurements ...", flush=True)
            measurements, off_units = add_measurements(client, iid, args.findings, rng)
            results = [client.call("GET", f"/api/inspections/{iid}/result")[2] for _ in range(args.results)]
            health = [client.call("GET", "/health")[2] for _ in range(args.results)]  # the floor
            full_times = []
            for _ in range(args.full):
                _, full, elapsed = client.call("GET", f"/api/inspections/{iid}")
                full_times.append(elapsed)
            payload_kb = len(json.dumps(full)) / 1000
            _, result, _ = client.call("GET", f"/api/inspections/{iid}/result")
            inspector_id = uuid.UUID(full["assignee_id"])
        # the served answer must match what was sent
        expected["major"] += len(off_units)
        got = {s: result["severities"][s]["count"] for s in SEVERITIES}
        if got != expected or (len(full["defects"]), len(full["measurements"])) != (args.findings, args.findings):
            raise AssertionError(f"counts differ: served {got}, sent {expected}")
        print(f"  tally: service vs naive, {args.tallies} runs each ...", flush=True)
        service_t, naive_t, tally = asyncio.run(compare_tallies(db_url, uuid.UUID(iid), inspector_id, args.tallies))

    n, tenth = args.findings, max(1, args.findings // 10)
    rows = []
    for label, times, writes in ((f"PUT .../defects/{{uuid}}       x{n}", defects, True),
                                 (f"PUT .../measurements/{{uuid}}  x{n}", measurements, True),
                                 (f"GET .../result               x{len(results)}", results, False),
                                 (f"GET /api/inspections/{{id}}    x{len(full_times)}", full_times, False),
                                 (f"GET /health (floor, no auth)  x{len(health)}", health, False)):
        med, p90, mean, total = stats(times)
        rows.append((label, f"{med:.2f}", f"{p90:.2f}", f"{mean:.2f}", f"{total:.2f}"))
        if writes:  # does a write slow down as the inspection fills up?
            first, last = (statistics.median(part) * 1000 for part in (times[:tenth], times[-tenth:]))
            rows.append((f"  median of first {tenth} / last {tenth}", f"{first:.2f} / {last:.2f}", "", "", ""))
    print()
    print(f"Through HTTP (inspection with {n} defects + {n} measurements = {2 * n} findings; "
          f"full payload {payload_kb:.0f} kB of JSON):")
    table(("operation", "median ms", "p90 ms", "mean ms", "total s"), rows)
    s_med, s_p90, s_mean, _ = stats(service_t)
    v_med, v_p90, v_mean, _ = stats(naive_t)
    print()
    print(f"Tally in-process, same database, fresh session per run ({len(service_t)} runs each); "
          f"result {tally['overall']}: " + ", ".join(f"{s} {tally['severities'][s]['count']}" for s in SEVERITIES))
    table(("tally", "median ms", "p90 ms", "mean ms", "naive / service"), [
        ("InspectionService.tally (aggregate SQL)", f"{s_med:.2f}", f"{s_p90:.2f}", f"{s_mean:.2f}", ""),
        ("naive: SELECT * rows, sum in Python", f"{v_med:.2f}", f"{v_p90:.2f}", f"{v_mean:.2f}",
         f"{v_med / s_med:.1f}x (median)"),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
