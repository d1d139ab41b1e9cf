"""Phone app benchmark (not a test): the shell's size, and a reload with no network until My inspections is up.

    .venv/bin/python bench/pwa.py [--reloads 15]

* The shell: the files the service worker precaches (the SHELL list of static/pwa/sw.js), raw and gzipped
  (level 9; the budget is 150 KB, tests/pwa/test_shell.py), by group; the wasm decoder apart (precached at
  install, outside the budget).
* The offline reload: the real server (bench/inspections.py's `floorcheck serve` on a fresh SQLite database, and
  its set-up: an inspector with one assignment) and Debian's chromium through Playwright, 360 x 640, mobile.
  Log in, "Download for offline use", wait until the service worker holds the shell; then offline, --reloads
  reloads, each timed by the page itself from navigation start to DOMContentLoaded and to the app's
  `floorcheck:ready` mark (My inspections rendered from IndexedDB, interactive). Median and p90; the target
  is a median under 300 ms. The browser shares the machine with the server.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspections import PASSWORD, Client, server, set_up  # noqa: E402

from api.db import migrate  # noqa: E402

PWA = ROOT / "static" / "pwa"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def shell_sizes() -> None:
    source = (PWA / "sw.js").read_text()
    urls = {name: re.findall(r"'([^']+)'", re.search(rf"const {name} = \[(.*?)\];", source, re.S).group(1))
            for name in ("SHELL", "DECODER")}
    groups: dict[str, list[int]] = {}
    for url in urls["SHELL"]:
        data = (PWA / (url.removeprefix("/app/") or "index.html")).read_bytes()
        group = "vendored JS" if "/vendor/" in url else "icons" if "/icons/" in url else "app (HTML, CSS, JS, manifest)"
        sizes = groups.setdefault(group, [0, 0, 0])
        sizes[0] += 1
        sizes[1] += len(data)
        sizes[2] += len(gzip.compress(data, compresslevel=9))
    print(f"{'shell':32} {'files':>5} {'raw KB':>8} {'gzip KB':>8}")
    for group, (n, raw, packed) in groups.items():
        print(f"  {group:30} {n:5} {raw / 1024:8.1f} {packed / 1024:8.1f}")
    n, raw, packed = (sum(v[i] for v in groups.values()) for i in range(3))
    print(f"  {'total (budget 150 KB gzipped)':30} {n:5} {raw / 1024:8.1f} {packed / 1024:8.1f}")
    for url in urls["DECODER"]:
        data = (PWA / url.removeprefix("/app/")).read_bytes()
        print(f"  {'decoder (apart): ' + Path(url).name:30} {1:5} {len(data) / 1024:8.1f} "
              f"{len(gzip.compress(data, compresslevel=9)) / 1024:8.1f}")


def offline_reloads(port: int, reloads: int) -> None:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Debian's chromium is not installed: run scripts/system-deps --test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        context = browser.new_context(base_url=f"http://127.0.0.1:{port}", viewport={"width": 360, "height": 640},
                                      is_mobile=True, has_touch=True, locale="en-US")
        page = context.new_page()
        page.goto("/app/")
        page.wait_for_function("document.documentElement.dataset.ready === 'true'")
        page.locator("input[name=username]").fill("bench-inspector")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        page.get_by_role("button", name="Download for offline use").click()
        page.wait_for_function("[...document.querySelectorAll('article.card')].some((c) => c.classList.contains('is-ready'))")
        page.wait_for_function("""async () => navigator.serviceWorker.controller !== null
            && (await caches.keys()).some((n) => n.startsWith('floorcheck-decoder-'))""")
        context.set_offline(True)
        ready, loaded = [], []
        for _ in range(reloads):
            page.reload()
            page.wait_for_function("document.documentElement.dataset.ready === 'true'")
            page.get_by_role("heading", name="My inspections").wait_for()
            marks = page.evaluate("""() => ({
                ready: performance.getEntriesByName('floorcheck:ready')[0].startTime,
                dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
            })""")
            ready.append(marks["ready"])
            loaded.append(marks["dcl"])
        browser.close()

    def p90(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.9 * len(values)) - 1)]

    print(f"\noffline reload, {reloads} times ({shutil.which('chromium')}):")
    print(f"  DOMContentLoaded            median {statistics.median(loaded):6.0f} ms   p90 {p90(loaded):6.0f} ms")
    print(f"  My inspections interactive  median {statistics.median(ready):6.0f} ms   p90 {p90(ready):6.0f} ms"
          f"   (target: median under 300 ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=15)
    args = parser.parse_args()
    shell_sizes()
    with tempfile.TemporaryDirectory(prefix="floorcheck-bench-pwa-") as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite+aiosqlite:///{tmp / 'pwa.sqlite3'}"
        migrate(db_url)
        with server(tmp, db_url) as port:
            set_up(Client(port))
            offline_reloads(port, args.reloads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
