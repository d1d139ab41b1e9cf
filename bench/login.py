"""Login benchmark (not a test): does a burst of logins hold up every other request?

    .venv/bin/python bench/login.py [--logins 16] [--requests 50] [--only sqlite|postgresql]

Argon2id at the production cost (Settings' defaults: argon2-cffi's RFC 9106 low-memory profile, t=3, 64 MiB,
p=4; any FLOORCHECK_PASSWORD_* in the environment is ignored) is slow by design. The app hashes in worker
threads (`off_loop` in api/auth/services.py); the naive way hashes on the event loop, which then serves
nothing else meanwhile. Both run in the same run, each against the real app under uvicorn (this script in
`--serve` mode, a subprocess on a free port of 127.0.0.1; for the naive way it replaces `off_loop` with a
direct call before serving), on a fresh SQLite file (and on PostgreSQL with --only postgresql: a database of
its own at FLOORCHECK_TEST_PG, dropped at the end). The client shares the machine.

Measured for each way, one keep-alive connection, --requests sequential GET /health:
  * idle: nothing else running;
  * under logins: while --logins threads (a keep-alive connection each) log in with the right password,
    over and over, until the /health requests are done.
Figures: /health median and p95 in ms, logins per second and their median, and the naive / off-loop ratios.
No timing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.auth.services import password_hasher, verify_password  # noqa: E402
from api.settings import Settings  # noqa: E402

# The databases are bench/push.py's, the table bench/inspections.py's (this directory is on the path).
from inspections import running, table  # noqa: E402
from push import postgresql_database, sqlite_database  # noqa: E402

USERNAME, PASSWORD = "bench-admin", "bench-password-2024"
MODES = {"off-loop": "hashing off the loop (the app)", "naive": "hashing on the loop (naive)"}


# --- the server (this script with --serve) -----------------------------------------------------------------


def serve(mode: str, port: int) -> None:
    import uvicorn

    import api.auth.services as services
    from api.app import create_app

    if mode == "naive":
        async def on_loop(work, *args):  # type: ignore[no-untyped-def]
            return work(*args)  # the event loop waits for the hash, and so does every other request

        services.off_loop = on_loop  # type: ignore[assignment]
    uvicorn.run(create_app(Settings.from_env()), host="127.0.0.1", port=port, proxy_headers=False,
                log_level="warning", access_log=False)


def production_env(db_url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOORCHECK_PASSWORD_")}
    return {**env, "FLOORCHECK_DATABASE_URL": db_url, "FLOORCHECK_MEDIA_DIR": str(tmp / "media"),
            "FLOORCHECK_SECRET_KEY": "bench-secret", "PYTHONUNBUFFERED": "1"}


@contextlib.contextmanager
def server(mode: str, env: dict[str, str], tmp: Path) -> Iterator[int]:
    command = lambda port: [sys.executable, str(Path(__file__).resolve()), "--serve", mode,  # noqa: E731
                            "--port", str(port)]
    with running(command, env, tmp, f"server-{mode}.log") as port:
        yield port


# --- the client ----------------------------------------------------------------------------------------------


def request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - start


def health_latencies(port: int, count: int, rng: random.Random) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for _ in range(count):
        status, seconds = request(conn, "GET", "/health")
        if status != 200:
            raise RuntimeError(f"GET /health: {status}")
        times.append(seconds)
        time.sleep(rng.uniform(0, 0.02))  # sample the logins' phases, not one of them over and over
    conn.close()
    return times


def under_logins(port: int, logins: int, count: int, rng: random.Random) -> tuple[list[float], list[tuple[int, float]], float]:
    """/health latencies while `logins` threads log in over and over; the logins (status, seconds); their span."""
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    stop = threading.Event()
    done: list[tuple[int, float]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while not stop.is_set():
                done.append(request(conn, "POST", "/api/auth/login", body))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(logins)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(done) < 2 and time.monotonic() < deadline and not errors:  # the logins are under way
        time.sleep(0.01)
    times = health_latencies(port, count, rng)
    stop.set()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"a login thread failed: {errors[0]!r}")
    return times, done, time.perf_counter() - start


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def run(db_url: str, tmp: Path, args: argparse.Namespace) -> None:
    env = production_env(db_url, tmp)
    script = Path(sys.executable).with_name("floorcheck")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    subprocess.run(cli + ["users", "create", "--username", USERNAME, "--password", PASSWORD, "--role", "admin"],
                   env=env, check=True, capture_output=True, cwd=tmp)
    rng = random.Random(11)
    rows, figures = [], {}
    for mode in MODES:
        with server(mode, env, tmp) as port:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(2):  # warm up: imports, the first connection to the database
                request(conn, "POST", "/api/auth/login", json.dumps({"username": USERNAME, "password": PASSWORD}).encode())
            conn.close()
            idle = health_latencies(port, args.requests, rng)
            loaded, logins, span = under_logins(port, args.logins, args.requests, rng)
        statuses = Counter(status for status, _ in logins)
        figures[mode] = loaded
        rows.append((MODES[mode], ms(statistics.median(idle)), ms(p95(idle)), ms(statistics.median(loaded)),
                     ms(p95(loaded)), f"{len(logins) / span:.1f}", ms(statistics.median(s for _, s in logins)),
                     " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))))
    table(("/health, ms", "idle p50", "idle p95", "under logins p50", "p95", "logins/s", "login p50 ms",
           "login statuses"), rows)
    naive, app = figures["naive"], figures["off-loop"]
    print(f"  under {args.logins} concurrent logins, /health naive / off-loop: "
          f"p50 {statistics.median(naive) / statistics.median(app):.1f}x, p95 {p95(naive) / p95(app):.1f}x",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=16, help="concurrent login threads")
    parser.add_argument("--requests", type=int, default=50, help="GET /health requests measured, each way")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--serve", choices=list(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    cost = Settings()
    hasher = password_hasher(cost)
    stored = hasher.hash(PASSWORD)
    verify = []
    for _ in range(5):
        start = time.perf_counter()
        verify_password(stored, PASSWORD)
        verify.append(time.perf_counter() - start)
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs; argon2id "
          f"t={cost.password_time_cost}, m={cost.password_memory_cost} KiB, p={cost.password_parallelism}: one "
          f"verification takes {ms(statistics.median(verify))} ms here (median of 5); {args.logins} login "
          f"threads, {args.requests} /health requests each way", flush=True)
    database = {"sqlite": sqlite_database, "postgresql": postgresql_database}[args.only]
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp, database(Path(tmp)) as found:
        if found is None:
            return 0
        url, label = found
        print(f"\n{label}", flush=True)
        run(url, Path(tmp), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
