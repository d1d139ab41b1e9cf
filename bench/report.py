"""Inspection report benchmark (not a test): the PDF and the HTML of an inspection with 100 photos.

    .venv/bin/python bench/report.py [--photos 100] [--repeats 3]

Everything runs in this process on a fresh SQLite database and media directory in a temporary directory
(var/ and media/ are never touched), through the app (create_app, Litestar's TestClient). Set-up: an order,
a pre-shipment inspection, --photos distinct phone-sized JPEGs (made from tests/data/exif, each 2400 px wide
with its own noise so that no two share bytes) uploaded as evidence of --photos/2 defects, a third of them
annotated. Measured, as a supervisor, median of --repeats:
  * GET /api/inspections/{id}/report.pdf: wall time including the queries, and the growth of the process's
    resident memory (RSS, sampled every 5 ms) over its level before the request. Target: ≤ 2 s, < 150 MB.
  * where that time goes: ReportService.build (the queries), the template, WeasyPrint's render;
  * GET /api/inspections/{id}/report (HTML, lazy thumbnails): time to the first byte. Target: < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar.testing import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth.models import Role, User  # noqa: E402
from api.auth.services import UserService  # noqa: E402
from api.db import create_engine, create_sessionmaker, migrate  # noqa: E402
from api.media.storage import LocalStorage  # noqa: E402
from api.reports.pdf import render_pdf  # noqa: E402
from api.reports.services import ReportService  # noqa: E402
from api.settings import Settings  # noqa: E402

PASSWORD = "bench-password-2024"
EXIF = ROOT / "tests" / "data" / "exif"


def phone_photos(count: int) -> list[bytes]:
    """Distinct JPEGs the size of a phone's (2400 px wide), from the test photos."""
    sources = [Image.open(p).convert("RGB") for p in sorted(EXIF.glob("*.jpg"))]
    rng = random.Random(14)
    photos = []
    for index in range(count):
        image = sources[index % len(sources)]
        image = image.resize((2400, round(2400 * image.height / image.width)))
        for _ in range(20):  # a few specks: other bytes, the same picture
            image.putpixel((rng.randrange(image.width), rng.randrange(image.height)), (255, 0, 0))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=88)
        photos.append(buffer.getvalue())
    return photos


class PeakRss:
    """The highest resident set size seen while the block runs, sampled from another thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self.before = self.process.memory_info().rss
        self.peak = self.before
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / 1e6


def setup(client: TestClient, settings: Settings, count: int) -> tuple[str, str, str]:
    async def create_admin() -> str:
        engine = create_engine(settings.database_url)
        async with create_sessionmaker(engine, writer=True).begin() as session:
            user = await UserService(session, settings).create("admin", PASSWORD, Role.admin, "Admin")
        await engine.dispose()
        return str(user.id)

    admin_id = asyncio.run(create_admin())
    token = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    customer = client.post("/api/customers", json={"code": "C1", "name": "Nordwind GmbH"}, headers=auth).json()
    factory = client.post("/api/factories", json={"code": "F1", "name": "宁波华美服饰", "address": "Ningbo"},
                          headers=auth).json()
    lines = [{"colour": c, "size": s, "sku": f"ST-{c}-{s}", "quantity": 500} for c in ("Black", "Navy")
             for s in ("S", "M", "L")]
    order = client.post("/api/orders", headers=auth, json={
        "customer_id": customer["id"], "factory_id": factory["id"], "po_number": "PO-4711", "style_number": "ST-88",
        "ship_date": "2026-12-20", "destination": "Hamburg", "lines": lines}).json()
    inspection_id = str(uuid.uuid4())
    response = client.put(f"/api/inspections/{inspection_id}", headers=auth, json={
        "order_id": order["id"], "type": "pre_shipment", "lot_size": 3000, "units_inspected": 125})
    assert response.status_code == 201, response.text
    codes = [c["code"] for c in client.get("/api/defect-codes", headers=auth).json()]
    photos = phone_photos(count)
    started = time.perf_counter()
    for index in range(0, count, 2):
        defect_id = str(uuid.uuid4())
        ids = []
        for data in photos[index:index + 2]:
            photo = client.put(f"/api/photos/{uuid.uuid4()}", content=data,
                               headers={**auth, "Content-Type": "image/jpeg"},
                               params={"inspection_id": inspection_id, "defect_id": defect_id,
                                       "caption": f"Photo {index + len(ids) + 1}"})
            assert photo.status_code == 201, photo.text
            ids.append(photo.json()["id"])
            if (index + len(ids)) % 3 == 0:
                shapes = [{"type": "circle", "cx": 400, "cy": 400, "r": 200},
                          {"type": "arrow", "x1": 50, "y1": 50, "x2": 350, "y2": 350},
                          {"type": "text", "x": 60, "y": 700, "text": "断线 broken stitch", "size": 60}]
                client.put(f"/api/photos/{ids[-1]}/annotations", headers=auth, json={"shapes": shapes, "version": 0})
        client.put(f"/api/inspections/{inspection_id}/defects/{defect_id}", headers=auth, json={
            "code": codes[index // 2 % len(codes)], "severity": ("minor", "major")[index % 4 == 0],
            "count": 1, "note": "Seen on the left side", "photo_ids": ids})
    print(f"set-up: {count} photos uploaded in {time.perf_counter() - started:.0f} s")
    return inspection_id, admin_id, token


def parts(settings: Settings, inspection_id: str, admin_id: str) -> tuple[float, float, float, int]:
    """The PDF's time by stage, outside the HTTP layer: queries, template, WeasyPrint."""

    async def run() -> tuple[float, float, float, int]:
        engine = create_engine(settings.database_url)
        async with create_sessionmaker(engine)() as session:
            user = await session.get(User, uuid.UUID(admin_id))
            service = ReportService(session, user, LocalStorage(settings.media_dir), settings)
            start = time.perf_counter()
            report = await service.build(uuid.UUID(inspection_id), "zh")
            built = time.perf_counter()
            html = service.html(report, pdf=True)
            templated = time.perf_counter()
        await engine.dispose()
        pdf = render_pdf(html, report.assets, LocalStorage(settings.media_dir))
        return built - start, templated - built, time.perf_counter() - templated, len(pdf)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="floorcheck-bench-report-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        migrate(url)
        settings = Settings(database_url=url, media_dir=Path(tmp) / "media", secret_key="bench")
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            inspection_id, admin_id, token = setup(client, settings, args.photos)
            auth = {"Authorization": f"Bearer {token}"}
            pdf_times, growths, sizes, ttfbs = [], [], [], []
            for lang in ["zh"] * args.repeats:
                with PeakRss() as rss:
                    start = time.perf_counter()
                    response = client.get(f"/api/inspections/{inspection_id}/report.pdf?lang={lang}", headers=auth)
                    pdf_times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
                growths.append(rss.growth_mb)
                sizes.append(len(response.content))
            for _ in range(args.repeats * 3):
                start = time.perf_counter()
                with client.stream("GET", f"/api/inspections/{inspection_id}/report?lang=zh", headers=auth) as html:
                    next(html.iter_raw())
                    ttfbs.append(time.perf_counter() - start)
            stages = [parts(settings, inspection_id, admin_id) for _ in range(args.repeats)]
    median = statistics.median
    print(f"PDF, {args.photos} photos, {median(sizes) / 1e6:.1f} MB: {median(pdf_times):.2f} s (target ≤ 2 s), "
          f"RSS growth {median(growths):.0f} MB (max {max(growths):.0f}; target < 150 MB)  "
          f"[runs: {', '.join(f'{t:.2f} s' for t in pdf_times)}]")
    print(f"  where the time goes: queries {median(s[0] for s in stages) * 1000:.0f} ms, "
          f"template {median(s[1] for s in stages) * 1000:.0f} ms, WeasyPrint {median(s[2] for s in stages):.2f} s")
    print(f"HTML report, {args.photos} photos: first byte {median(ttfbs) * 1000:.0f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
