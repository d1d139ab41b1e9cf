"""Foundation benchmarks (not tests): packing-list import, carton lookup, order read over HTTP.

    .venv/bin/python bench/foundation.py [--repeats N] [--seconds S]

Everything runs on fresh SQLite databases in a temporary directory (var/ is never touched):

a. import of a 10,000-carton packing list (one CSV row per carton, GS1 SSCCs, 8 SKUs) through
   PackingListService.import_file, against the naive ORM way (parse, then session.add(Carton(...))
   with its CartonItem per carton and one flush); the median of --repeats runs of each.
b. PackingListService.lookup(code) with 100,000 cartons stored (10 orders x 10,000, imported with
   the service), as an admin; median and p90 against the same lookups on a copy of the database
   without the barcode index.
c. requests per second of GET /api/orders/{id} (Bearer token) against GET /health on the real
   server (`floorcheck serve` as a subprocess on 127.0.0.1), driven by 4 keep-alive threads.
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
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from api.auth.models import Role, User  # noqa: E402
from api.auth.services import UserService  # noqa: E402
from api.db import create_engine, create_sessionmaker, migrate, new_id, utcnow  # noqa: E402
from api.demo import sscc  # noqa: E402
from api.orders.models import Carton, CartonItem, Customer, Factory, Order, OrderLine, PackingList  # noqa: E402
from api.orders.packing import LineRef, parse_packing_list, read_table  # noqa: E402
from api.orders.services import OrderService, PackingListService  # noqa: E402

CARTONS = 10_000
LOOKUP_ORDERS = 10
COLOURS, SIZES, PER_CARTON = ("Black", "Navy"), ("S", "M", "L", "XL"), 12
PASSWORD = "bench-password"


def url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy of a SQLite database, WAL included."""
    with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst


def packing_csv(order_no: int, skus: list[tuple[str, str, str]]) -> tuple[bytes, list[str]]:
    """One row per carton, cycling through the SKUs; SSCCs unique across orders."""
    rng = random.Random(order_no)
    rows, codes = ["Carton No.,SSCC,SKU,Colour,Size,Qty/Ctn,N.W. (kg),G.W. (kg),Meas (cm)"], []
    for number in range(1, CARTONS + 1):
        code = sscc(order_no * CARTONS + number)
        sku, colour, size = skus[(number - 1) % len(skus)]
        net = round(PER_CARTON * 0.42 + rng.uniform(-0.3, 0.3), 2)
        dims = rng.choice(("60x40x35", "60x40x30", "58x38x32"))
        rows.append(f"{number},{code},{sku},{colour},{size},{PER_CARTON},{net},{net + 1.2:.2f},{dims}")
        codes.append(code)
    return ("\n".join(rows) + "\n").encode(), codes


async def build_world(url: str, orders: int) -> tuple[uuid.UUID, list[tuple[uuid.UUID, bytes, list[str]]]]:
    """An admin, a customer, a factory and `orders` orders whose lines match their packing lists exactly."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            customer, factory = Customer(code="BENCH", name="Bench Customer"), Factory(code="BF", name="Bench Factory")
            session.add_all([customer, factory])
            await session.commit()
            admin = await UserService(session).create("bench-admin", PASSWORD, Role.admin)
            made = []
            for k in range(orders):
                style = f"BN-{k:02d}"
                skus = [(f"{style}-{c[:3].upper()}-{s}", c, s) for c in COLOURS for s in SIZES]
                per_line = CARTONS // len(skus) * PER_CARTON
                order = await OrderService(session, admin).create(
                    {"customer_id": customer.id, "factory_id": factory.id, "po_number": f"PO-B{k:02d}",
                     "style_number": style},
                    [{"sku": sku, "colour": c, "size": s, "quantity": per_line} for sku, c, s in skus])
                data, codes = packing_csv(k, skus)
                made.append((order.id, data, codes))
            return admin.id, made
    finally:
        await engine.dispose()


async def naive_import(session, user: User, order_id: uuid.UUID, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """The obvious ORM way: the same parse, then one session.add per carton (with its item) and a flush."""
    order = await session.get(Order, order_id)
    lines = list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)))
    refs = [LineRef(str(line.id), line.sku, line.colour, line.size) for line in lines]
    cartons = parse_packing_list(read_table("bench.csv", data), refs, order.po_number)
    packing_list = PackingList(id=new_id(), order_id=order_id, version=1, filename="bench.csv",
                               imported_by_id=user.id, imported_at=utcnow(), carton_count=len(cartons))
    session.add(packing_list)
    await session.flush()  # no relationship orders the packing list before its cartons
    for spec in cartons:
        session.add(Carton(
            packing_list_id=packing_list.id, order_id=order_id, number=spec.number, barcode=spec.barcode,
            net_kg=spec.net_kg, gross_kg=spec.gross_kg, length_cm=spec.length_cm, width_cm=spec.width_cm,
            height_cm=spec.height_cm,
            items=[CartonItem(order_line_id=uuid.UUID(key), position=p, quantity=q)
                   for p, (key, q) in enumerate(spec.items)]))
    await session.flush()
    await session.commit()


async def timed_import(url: str, user_id: uuid.UUID, order_id: uuid.UUID, data: bytes,
                       naive: bool) -> tuple[float, float]:
    """Wall and CPU seconds (all threads of this process) of one import."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = await session.get(User, user_id)
            start, start_cpu = time.perf_counter(), time.process_time()
            if naive:
                await naive_import(session, user, order_id, data)
            else:
                await PackingListService(session, user).import_file(order_id, "bench.csv", data)
            return time.perf_counter() - start, time.process_time() - start_cpu
    finally:
        await engine.dispose()


async def _refs(url: str, order_id: uuid.UUID) -> tuple[list[LineRef], str]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            order = await session.get(Order, order_id)
            lines = await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
            return [LineRef(str(x.id), x.sku, x.colour, x.size) for x in lines], order.po_number
    finally:
        await engine.dispose()


def bench_import(tmp: Path, repeats: int) -> dict[str, float]:
    template = tmp / "import-template.sqlite3"
    migrate(url_of(template))
    user_id, [(order_id, data, _)] = asyncio.run(build_world(url_of(template), 1))
    refs = asyncio.run(_refs(url_of(template), order_id))
    runs: dict[str, list[tuple[float, float]]] = {"parse": [], "service": [], "naive": []}
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        parse_packing_list(read_table("bench.csv", data), *refs)
        runs["parse"].append((time.perf_counter() - start, time.process_time() - start_cpu))
        for kind in ("service", "naive"):
            db = copy_db(template, tmp / f"import-{kind}-{i}.sqlite3")
            runs[kind].append(asyncio.run(timed_import(url_of(db), user_id, order_id, data, kind == "naive")))
        print(f"  a. run {i + 1}/{repeats}: service {runs['service'][-1][0]:.2f} s, "
              f"naive ORM {runs['naive'][-1][0]:.2f} s, parse only {runs['parse'][-1][0]:.2f} s", flush=True)
    medians = {kind: statistics.median(w for w, _ in r) for kind, r in runs.items()}
    return medians | {f"{kind}_cpu": statistics.median(c for _, c in r) for kind, r in runs.items()} | {
        "kb": len(data) / 1000}


async def import_all(url: str, user_id: uuid.UUID, made: list[tuple[uuid.UUID, bytes, list[str]]]) -> None:
    for order_id, data, _ in made:
        await timed_import(url, user_id, order_id, data, naive=False)


async def time_lookups(url: str, user_id: uuid.UUID, codes: list[str], warmup: int = 20) -> tuple[list[float], float]:
    """Seconds per PackingListService.lookup, each in a fresh session as a request would have; and CPU seconds."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    times, cpu = [], 0.0
    try:
        async with sessions() as session:
            user = await session.get(User, user_id)
        for i, code in enumerate(codes[:warmup] + codes):
            async with sessions() as session:
                start, start_cpu = time.perf_counter(), time.process_time()
                carton, *_ = await PackingListService(session, user).lookup(code)
                elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            assert carton.barcode == code
            if i >= warmup:
                times.append(elapsed)
                cpu += elapsed_cpu
        return times, cpu / len(times)
    finally:
        await engine.dispose()


def bench_lookup(tmp: Path, count: int, naive_count: int) -> dict[str, float]:
    db = tmp / "lookup.sqlite3"
    migrate(url_of(db))
    user_id, made = asyncio.run(build_world(url_of(db), LOOKUP_ORDERS))
    start = time.perf_counter()
    asyncio.run(import_all(url_of(db), user_id, made))
    print(f"  b. imported {LOOKUP_ORDERS} x {CARTONS:,} cartons with the service in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    no_index = copy_db(db, tmp / "lookup-no-index.sqlite3")
    with contextlib.closing(sqlite3.connect(no_index)) as conn:
        conn.execute("DROP INDEX ix_cartons_barcode_current")
        conn.commit()
    rng = random.Random(7)
    codes = rng.sample([c for *_, order_codes in made for c in order_codes], count)
    indexed, cpu = asyncio.run(time_lookups(url_of(db), user_id, codes))
    naive, naive_cpu = asyncio.run(time_lookups(url_of(no_index), user_id, codes[:naive_count], warmup=3))
    q = lambda xs: (statistics.median(xs) * 1000, statistics.quantiles(xs, n=10)[-1] * 1000)  # noqa: E731
    (med, p90), (naive_med, naive_p90) = q(indexed), q(naive)
    return {"median": med, "p90": p90, "cpu": cpu * 1000, "naive_median": naive_med, "naive_p90": naive_p90,
            "naive_cpu": naive_cpu * 1000, "n": count, "naive_n": naive_count}


# --- c. the real server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(port: int, path: str, headers: dict[str, str], seconds: float, threads: int) -> tuple[int, float]:
    """Requests answered over `threads` keep-alive connections in about `seconds`, and the exact time taken."""
    counts, failures = [0] * threads, [0] * threads
    ready = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ready.wait()
        try:
            while not stop.is_set():
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                counts[i] += 1
                failures[i] += response.status != 200
        except (OSError, http.client.HTTPException):
            failures[i] += 1
        finally:
            conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    ready.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    if sum(failures):
        raise RuntimeError(f"{sum(failures)} answers to GET {path} were not 200")
    return sum(counts), time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_http(tmp: Path, seconds: float, threads: int = 4) -> dict[str, float]:
    db = tmp / "server.sqlite3"
    env = {**os.environ, "FLOORCHECK_DATABASE_URL": url_of(db), "FLOORCHECK_MEDIA_DIR": str(tmp / "media"),
           "FLOORCHECK_SECRET_KEY": "bench-secret"}
    script = Path(sys.executable).with_name("floorcheck")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    for args in (["migrate"], ["demo"],
                 ["users", "create", "--username", "bench-admin", "--password", PASSWORD, "--role", "admin"]):
        subprocess.run(cli + args, env=env, check=True, capture_output=True, cwd=tmp)
    port = free_port()
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(cli + ["serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                              cwd=tmp)
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise RuntimeError("the server exited:\n" + (tmp / "server.log").read_text()[-2000:])
            with contextlib.suppress(OSError):
                if request(port, "GET", "/health")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /health within 30 s")
            time.sleep(0.1)
        status, body = request(port, "POST", "/api/auth/login", {"username": "bench-admin", "password": PASSWORD})
        assert status == 200, body
        token = json.loads(body)["token"]
        status, body = request(port, "GET", "/api/orders?per_page=1", token=token)
        assert status == 200, body
        order_id = json.loads(body)["items"][0]["id"]
        order_path = f"/api/orders/{order_id}"
        status, body = request(port, "GET", order_path, token=token)
        assert status == 200, body
        lines = len(json.loads(body)["lines"])
        # Alternate 1-second rounds, so that both endpoints see the same background load.
        endpoints = {"health": ("/health", {}), "order": (order_path, {"Authorization": f"Bearer {token}"})}
        for path, headers in endpoints.values():
            load(port, path, headers, 0.5, threads)  # warm-up
        rounds = max(1, round(seconds))
        totals = {name: [0, 0.0, 0.0] for name in endpoints}  # requests, seconds, server CPU seconds
        for _ in range(rounds):
            for name, (path, headers) in endpoints.items():
                before = cpu_seconds(server.pid)
                count, elapsed = load(port, path, headers, 1.0, threads)
                totals[name] = [x + y for x, y in zip(totals[name], (count, elapsed, cpu_seconds(server.pid) - before))]
        figures = {name: n / t for name, (n, t, _) in totals.items()}
        figures |= {f"{name}_cpu": c / n * 1000 for name, (n, _, c) in totals.items()}
        return figures | {"lines": lines, "threads": threads, "seconds": rounds}
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# --- report --------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="import runs of each kind (median reported)")
    parser.add_argument("--lookups", type=int, default=2000, help="indexed lookups (naive: a tenth)")
    parser.add_argument("--seconds", type=float, default=5.0, help="load time per endpoint")
    args = parser.parse_args()
    print(f"Foundation benchmarks: SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="floorcheck-bench-") as name:
        tmp = Path(name)
        a = bench_import(tmp, args.repeats)
        b = bench_lookup(tmp, args.lookups, max(20, args.lookups // 10))
        print("  c. serving and loading ...", flush=True)
        c = bench_http(tmp, args.seconds)
    share = c["order"] / c["health"]
    rows = [
        ("a. import 10,000 cartons (service)", f"{a['service']:.2f} s", "< 2 s",
         f"{verdict(a['service'] < 2)}; CPU {a['service_cpu']:.2f} s"),
        ("   naive ORM (add per carton + flush)", f"{a['naive']:.2f} s", "",
         f"{a['naive'] / a['service']:.1f}x slower; CPU {a['naive_cpu']:.2f} s"),
        ("   parse + validate alone", f"{a['parse']:.2f} s", "", f"CSV {a['kb']:.0f} kB; median of {args.repeats}"),
        ("b. lookup, 100,000 cartons: median", f"{b['median']:.2f} ms", "< 2 ms",
         f"{verdict(b['median'] < 2)}; CPU {b['cpu']:.2f} ms/lookup"),
        ("   p90", f"{b['p90']:.2f} ms", "", f"{b['n']} random codes"),
        ("   no barcode index: median", f"{b['naive_median']:.2f} ms", "",
         f"{b['naive_median'] / b['median']:.0f}x slower; CPU {b['naive_cpu']:.2f} ms/lookup"),
        ("   no barcode index: p90", f"{b['naive_p90']:.2f} ms", "", f"{b['naive_n']} codes"),
        ("c. GET /health", f"{c['health']:,.0f} rps", "",
         f"{c['threads']} threads x {c['seconds']} s; server CPU {c['health_cpu']:.2f} ms/request"),
        (f"   GET /api/orders/{{id}} ({c['lines']} lines)", f"{c['order']:,.0f} rps", "",
         f"Bearer token; server CPU {c['order_cpu']:.2f} ms/request"),
        ("   order read / health", f"{share:.0%}", ">= 40 %",
         f"{verdict(share >= 0.4)}; by server CPU per request {c['health_cpu'] / c['order_cpu']:.0%}"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("benchmark", "figure", "target", "result / ratio")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    line = lambda r: "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()  # noqa: E731
    print()
    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for r in rows:
        print(line(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
