"""Run the benchmarks: every bench/*.py except this one, one after another, with this interpreter.

    .venv/bin/python bench/run.py               # all of them (what `make bench` does)
    .venv/bin/python bench/run.py foundation    # only some, by name
    .venv/bin/python bench/run.py login         # /health latency during 16 logins: hashing off the loop or on it
    .venv/bin/python bench/run.py dashboards    # dashboards: aggregate queries against loading rows, 10,000 inspections
    .venv/bin/python bench/run.py report        # the inspection report of 100 photos: PDF time and memory, HTML

bench/login.py runs itself as the server too (`--serve`, a hidden option); run without options it benchmarks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = {p.stem: p for p in sorted(HERE.glob("*.py")) if p.name != "run.py" and not p.name.startswith("_")}
    unknown = [n for n in names if n.removesuffix(".py") not in scripts]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; there are: {', '.join(scripts)}", file=sys.stderr)
        return 2
    chosen = [n.removesuffix(".py") for n in names] or list(scripts)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # stream their output as it comes
    failed = []
    for name in chosen:
        print(f"\n=== bench/{name}.py ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(scripts[name])], cwd=HERE.parent, env=env)
        print(f"=== bench/{name}.py: {'ok' if code == 0 else f'FAILED (exit {code})'} "
              f"in {time.perf_counter() - start:.0f} s ===", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
