"""Phone app benchmark (not a test): the shell's size, an offline reload, an outbox's sync, camera frame to verdict.

    .venv/bin/python bench/pwa.py [--reloads 15] [--operations 200] [--photos 20] [--frames 30]

* The shell: the files the service worker precaches (the SHELL list of static/pwa/sw.js), raw and gzipped
  (level 9; the budget is 150 KB, tests/pwa/test_shell.py), by group; the office screens (the OFFICE list, their
  own budget of 120 KB) and the wasm decoder apart (both precached at install, outside the shell's budget).
* The offline reload: the real server (bench/inspections.py's `floorcheck serve` on a fresh SQLite database, and
  its set-up: an inspector with one assignment) and Debian's chromium through Playwright, 360 x 640, mobile.
  Log in, "Download for offline use", wait until the service worker holds the shell; then offline, --reloads
  reloads, each timed by the page itself from navigation start to DOMContentLoaded and to the app's
  `floorcheck:ready` mark (My inspections rendered from IndexedDB, interactive). Median and p90; the target
  is a median under 300 ms. The browser shares the machine with the server.
* The sync of an outbox, end to end: on the same server after the reloads, the set-up adds a packing list of 60
  cartons (one row and one SSCC each, 10 per SKU) to that order and books three pre-shipment inspections for the
  inspector, each with its draw of cartons. A new browser, launched the same way: log in, download. The records are
  made through the app's modules in the page, as js/records.js makes them: --operations operations (default 200:
  60 % defects, 30 % measurements, 6 points per sample unit, 10 % carton scans of GS1-128 texts, the picked cartons,
  some twice, some not picked), each a record and its outbox entry in one db.js `saveWithOutbox`; --photos of the
  defects (default 20) name a photo taken first with photos.js `addPhoto` from the two carton photos of
  tests/data/barcodes/cartons in turn (4032 x 3024 phone JPEGs of 1.4-1.7 MB, EXIF orientation 6), which
  downscales it to 2048 px with a thumbnail and stores it (timed apart). While they are made the app's own sync
  (2 s after a save) is held off: navigator.onLine reads false in the page (no request is blocked). Then
  `syncNow()` is timed in the page from the call to its answer, with its phases from the app's state (push,
  photos, pull of the change feed) and each request from the browser's resource timing; after it the outbox and
  the photo queue must be empty and the server must hold every record and photo, and each scan's verdict
  (counted over HTTP). The naive way, in the same page: the same operations (the same bodies, fresh ids, the
  second inspection) as single requests, one fetch per route, one after the other (PUT a defect or a
  measurement, POST a scan), each answered 201. Both ways are warmed up first on the third inspection (18
  operations and a photo). One round: expect noise on a shared machine.
* Camera frame to verdict on the phone: a carton label (a carrier's tracking code and the GS1-128 SSCC of a picked
  carton of the third inspection, drawn with zxing-cpp and Pillow as tests/pwa/labels.py draws them, turned 2
  degrees and slightly blurred) in a 1280 x 720 frame, drawn at 30 fps on a canvas that a <video> plays through
  captureStream(), as a camera delivers frames. Each frame is read as js/ui/inspection/camera.js reads it
  (drawImage of the video, getImageData), decoded by the vendored zxing-wasm (js/decoder.js; the wasm from the
  service worker's cache) and judged as the scan screen judges it (the inspection's records, the orders and the
  packing lists from IndexedDB, then logic/cartons.js scanContext and scanVerdict). The first frame cold (the
  decoder module imported and the wasm started in that time), then --frames frames (default 30), 120 ms apart as
  camera.js reads them: median and p90. The naive way: the same frame as a JPEG (canvas.toBlob, quality 0.92)
  sent to POST /api/barcodes/decode, the codes of the answer judged the same way; median and p90 over as many
  frames, and the ratio of the medians. Every verdict must be 'ok' for that carton.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.client
import io
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspections import PASSWORD, POINTS, SIZES, Client, login, server, set_up  # noqa: E402

from api.barcodes import gs1  # noqa: E402
from tests.pwa.labels import carton_label  # noqa: E402
from api.db import migrate  # noqa: E402

PWA = ROOT / "static" / "pwa"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def shell_sizes() -> None:
    source = (PWA / "sw.js").read_text()
    urls = {name: re.findall(r"'([^']+)'", re.search(rf"const {name} = \[(.*?)\];", source, re.S).group(1))
            for name in ("SHELL", "OFFICE", "DECODER")}
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
    office = [(PWA / url.removeprefix("/app/")).read_bytes() for url in urls["OFFICE"]]
    print(f"  {'office screens (apart, budget 120)':30} {len(office):5} {sum(map(len, office)) / 1024:8.1f} "
          f"{sum(len(gzip.compress(d, compresslevel=9)) for d in office) / 1024:8.1f}")
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


# --- the phone's sync and its camera: set-up over HTTP ---------------------------------------------------------

CARTON_PHOTOS = sorted((ROOT / "tests" / "data" / "barcodes" / "cartons").glob("*.JPG"))
LOCATIONS = ("front", "back", "left sleeve", "right sleeve", "collar", "hem", "pocket", "zip")
NOTES = ("", "", "", "open seam at the side", "stain near the care label, 2 cm", "loose thread 1 cm",
         "uneven stitching, visible at 1 m", "shade difference between front and back panel")


def p90(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.9 * len(values)) - 1)]


def sscc(serial: int) -> str:
    body = f"0690123400{serial:07d}"
    return body + gs1.check_digit(body)


def upload_csv(port: int, token: str, path: str, data: bytes) -> None:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cartons.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}",
                                                   "Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"POST {path}: {response.status} {raw[:500]!r}")


def floor_set_up(port: int, client: Client, world: dict) -> dict:
    """On bench/inspections.py's order: a packing list of 60 cartons (one row and one SSCC each, 10 per SKU) and
    three pre-shipment inspections assigned to the inspector, each with its draw of cartons."""
    admin = login(client, "bench-admin")
    order = world["inspection"]["order"]
    barcodes = [sscc(5000 + i) for i in range(60)]
    rows = ["Carton No.,SSCC,SKU,Qty/Ctn"] + [f"{i + 1},{code},{order['lines'][i // 10]['sku']},12"
                                              for i, code in enumerate(barcodes)]
    upload_csv(port, admin, f"/api/orders/{order['id']}/packing-list", ("\n".join(rows) + "\n").encode())
    inspections = {}
    for name in ("outbox", "single", "camera"):  # the camera's inspection is the warm-up's too
        inspections[name] = client.call("PUT", f"/api/inspections/{uuid.uuid4()}", {
            "order_id": order["id"], "type": "pre_shipment", "lot_size": 720, "units_inspected": 200,
            "assignee_id": world["inspection"]["assignee_id"]}, token=admin)[1]
    return {"order": order, "inspections": inspections, "barcodes": barcodes, "codes": world["codes"]}


def operations(inspection: dict, barcodes: list[str], codes: list[dict], n: int, photos: int,
               rng: random.Random) -> list[dict]:
    """What an inspector records on one inspection, in the order of the floor (a carton scanned, then what is
    found): 60 % defects (`photos` of them with a photo each), 30 % measurements (6 points per sample unit, about
    1 in 10 out of tolerance), 10 % carton scans (the picked cartons, some twice, and every fourth one not picked).
    A scan carries the verdict the server must give it."""
    n_scans, n_measurements = n // 10, n * 3 // 10
    picked = [c["barcode"] for c in inspection["cartons"]]
    others = [b for b in barcodes if b not in picked]
    scans, seen = [], set()
    for i in range(n_scans):
        code = rng.choice(others) if i % 4 == 3 else picked[i % len(picked)]
        verdict = "not_selected" if code not in picked else "already_scanned" if code in seen else "ok"
        seen.add(code)
        scans.append({"kind": "scan", "body": {"text": f"]C100{code}"}, "verdict": verdict})
    findings = []
    for i in range(n_measurements):
        unit, (point, _, specs, tol) = f"M{i // len(POINTS) + 1:03d}", POINTS[i % len(POINTS)]
        size = (i // len(POINTS)) % len(SIZES)
        out = rng.random() < 0.1
        deviation = float(tol) * (rng.uniform(1.2, 2.5) * rng.choice((-1, 1)) if out else rng.uniform(-0.9, 0.9))
        findings.append({"kind": "measurement", "body": {"sample_unit": unit, "size": SIZES[size], "point": point,
                                                          "reading": f"{specs[size] + deviation:.1f}"}})
    n_defects = n - n_scans - n_measurements
    with_photo = set(rng.sample(range(n_defects), min(photos, n_defects)))
    for i in range(n_defects):
        code = rng.choice(codes)
        body = {"code": code["code"],
                "severity": rng.choices([code["default_severity"], "major", "minor", "critical"], [80, 9, 9, 2])[0],
                "count": rng.choices([1, 2, 3], [85, 10, 5])[0], "sample_unit": f"U{i % 200 + 1:03d}",
                "location": rng.choice(LOCATIONS), "note": rng.choice(NOTES)}
        findings.append({"kind": "defect", "body": body})
        if i in with_photo:  # the carton photos in turn
            findings[-1]["photo"] = sum(f.get("photo") is not None for f in findings[:-1]) % len(CARTON_PHOTOS)
    rng.shuffle(findings)
    ops, step = [], len(findings) / max(1, n_scans)
    for i, scan in enumerate(scans):
        ops.append(scan)
        ops.extend(findings[round(i * step):round((i + 1) * step)])
    ops.extend(findings[round(n_scans * step):])
    return ops


def label_frame(code: str, size: tuple[int, int] = (1280, 720)) -> bytes:
    """A 1280 x 720 camera frame (PNG) of the tests' carton label (tests/pwa/labels.py: the carrier's tracking
    code, then the carton's SSCC as GS1-128) on cardboard, turned 2 degrees and slightly blurred."""
    label = carton_label(code, (800, 560)).convert("RGB")
    frame = Image.new("RGB", size, (168, 132, 92))  # cardboard
    turned = label.rotate(2, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=(168, 132, 92))
    frame.paste(turned, ((size[0] - turned.width) // 2, (size[1] - turned.height) // 2))
    frame = frame.filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    frame.save(out, "PNG")
    return out.getvalue()


# --- what the page does, through the app's modules ------------------------------------------------------------

SYNC_STATE = "import('/app/js/store.js').then((store) => store.getState().sync.running)"

HOLD_AUTO_SYNC = """(hold) => {
    // sync.js syncs by itself 2 s after a save when navigator.onLine: it reads false while the records are made.
    if (hold) Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
    else delete navigator.onLine;
    return navigator.onLine;
}"""

LOAD_PHOTOS = """(photos) => {
    window.benchPhotos = photos.map((b64) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))],
                                                      { type: 'image/jpeg' }));
}"""

# Each operation as the screens save it (js/records.js saveFinding / saveScan): a record and its outbox entry.
MAKE = """async ({ inspectionId, orderId, ops }) => {
    const db = await import('/app/js/db.js');
    const { addPhoto } = await import('/app/js/photos.js');
    const user = await db.getMeta('user');
    const photoMs = [];
    const saveMs = [];
    for (const op of ops) {
        const key = crypto.randomUUID();
        let body = op.body;
        if (op.photo !== undefined) {
            const file = new File([window.benchPhotos[op.photo]], `IMG_87${47 + op.photo}.JPG`,
                                  { type: 'image/jpeg', lastModified: Date.now() });
            const start = performance.now();
            const photoId = await addPhoto(file, { inspectionId, userId: user.id, defectId: key });
            photoMs.push(performance.now() - start);
            body = { ...body, photo_ids: [photoId] };
        }
        const start = performance.now();
        if (op.kind === 'scan') {
            await db.saveWithOutbox({ kind: 'scan', key, userId: user.id, inspectionId, orderId,
                record: { id: key, text: body.text, verdict: op.verdict, scanned_at: new Date().toISOString(),
                          source: 'camera', judged_on_phone: true },
                operation: { kind: 'scan', key: { inspection_id: inspectionId }, body: { id: key, text: body.text },
                             base_version: null } });
        } else {
            const param = op.kind === 'defect' ? 'defect_id' : 'measurement_id';
            await db.saveWithOutbox({ kind: op.kind, key, userId: user.id, inspectionId, orderId,
                record: { ...body, id: key },
                operation: { kind: op.kind, key: { inspection_id: inspectionId, [param]: key }, body,
                             base_version: 0 } });
        }
        saveMs.push(performance.now() - start);
    }
    const photos = await (await db.db()).getAll('photos');
    return { photoMs, saveMs, bytes: photos.filter((p) => p.state === 'pending').reduce((n, p) => n + p.byte_size, 0),
             sizes: photos.filter((p) => p.state === 'pending').map((p) => [p.width, p.height]) };
}"""

SYNC_NOW = """async () => {
    const sync = await import('/app/js/sync.js');
    const store = await import('/app/js/store.js');
    const marks = [];
    let last = null;
    const off = store.subscribe((s) => {
        const phase = s.sync.running ? s.sync.phase : 'done';
        if (phase !== last) { last = phase; marks.push([phase, performance.now()]); }
    });
    performance.setResourceTimingBufferSize(5000);
    performance.clearResourceTimings();
    const start = performance.now();
    const ok = await sync.syncNow();
    const end = performance.now();
    off();
    const requests = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/'))
        .map((e) => ({ path: new URL(e.name).pathname, type: e.initiatorType, ms: e.responseEnd - e.startTime }));
    const database = await (await import('/app/js/db.js')).db();
    const photos = await database.getAll('photos');
    return { ok, ms: end - start, start, end, marks, requests, outbox: await database.count('outbox'),
             waiting: photos.filter((p) => p.state !== 'uploaded').length };
}"""

SINGLE = """async ({ requests }) => {
    const start = performance.now();
    for (const { method, path, body } of requests) {
        const response = await fetch(path, { method, credentials: 'same-origin', cache: 'no-store',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json' },
            body: JSON.stringify(body) });
        await response.json();
        if (response.status !== 201) throw new Error(`${method} ${path}: ${response.status}`);
    }
    return performance.now() - start;
}"""

# The camera: the label frame on a canvas, played by a <video> through captureStream() (redrawn at 30 fps, a
# live picture); a frame is read as js/ui/inspection/camera.js reads it, and judged as the scan screen judges it.
CAMERA = """async ({ png, inspectionId }) => {
    const image = new Image();
    image.src = png;
    await image.decode();
    const source = Object.assign(document.createElement('canvas'), { width: image.width, height: image.height });
    const paint = source.getContext('2d');
    const stream = source.captureStream(30);
    paint.drawImage(image, 0, 0);
    window.benchPainter = setInterval(() => paint.drawImage(image, 0, 0), 33);
    const video = Object.assign(document.createElement('video'), { muted: true, playsInline: true, srcObject: stream });
    video.style.cssText = 'position:fixed;left:0;top:0;width:64px;height:36px;opacity:0.01;pointer-events:none';
    document.body.append(video);
    await video.play();
    while (!video.videoWidth) await new Promise((resolve) => setTimeout(resolve, 10));
    const canvas = document.createElement('canvas');
    const db = await import('/app/js/db.js');
    const { scanContext, scanVerdict } = await import('/app/js/logic/cartons.js');
    // js/ui/inspection/cartons.js codeText: a GS1 element string read raw keeps its symbology identifier
    const codeText = ({ text, symbologyIdentifier: id }) =>
        (id && /^\\][Cde]1|^\\]Q3|^\\]J1/.test(id) && !/^[(\\]]/.test(text) ? `${id}${text}` : text);
    window.bench = {
        grab() {  // camera.js: the frame at most 1280 px, drawn and read back
            const scale = Math.min(1, 1280 / Math.max(video.videoWidth, video.videoHeight));
            canvas.width = Math.round(video.videoWidth * scale);
            canvas.height = Math.round(video.videoHeight * scale);
            const context = canvas.getContext('2d', { willReadFrequently: true });
            context.drawImage(video, 0, 0, canvas.width, canvas.height);
            return context.getImageData(0, 0, canvas.width, canvas.height);
        },
        async judge(codes) {  // cartons.js judge: the stored records, then the verdict
            const [orders, lists, parts] = await Promise.all([
                db.recordsOfKind('order'), db.recordsOfKind('packing_list'), db.recordsOfInspection(inspectionId)]);
            const context = scanContext([...parts, ...orders, ...lists], inspectionId);
            return scanVerdict(codes.map((c) => ({ ...c, text: codeText(c) })), context);
        },
        codes: (found) => found.map((c) => ({ text: c.text, symbologyIdentifier: c.symbologyIdentifier })),
        canvas,
    };
    return [video.videoWidth, video.videoHeight];
}"""

COLD = """async () => {
    const start = performance.now();
    const decoder = await import('/app/js/decoder.js');  // camera.js startDecoder: import, then warmUp
    const imported = performance.now();
    let started = null;
    decoder.warmUp().then(() => { started = performance.now(); });
    const frame = bench.grab();
    const codes = bench.codes(await decoder.decode(frame));
    const decoded = performance.now();
    const verdict = await bench.judge(codes);
    const end = performance.now();
    return { ms: end - start, import: imported - start, wasm: started === null ? null : started - start,
             decode: decoded - imported, judge: end - decoded, verdict, codes };
}"""

FRAMES = """async ({ frames, gap }) => {
    const decoder = await import('/app/js/decoder.js');
    const out = [];
    for (let i = 0; i < frames; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, gap));
        const start = performance.now();
        const frame = bench.grab();
        const grabbed = performance.now();
        const codes = bench.codes(await decoder.decode(frame));
        const decoded = performance.now();
        const verdict = await bench.judge(codes);
        const end = performance.now();
        out.push({ ms: end - start, grab: grabbed - start, decode: decoded - grabbed, judge: end - decoded,
                   verdict: verdict?.verdict, carton: verdict?.carton_number });
    }
    return out;
}"""

SERVER_FRAMES = """async ({ frames, gap }) => {
    const out = [];
    for (let i = 0; i < frames; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, gap));
        const start = performance.now();
        bench.grab();
        const blob = await new Promise((resolve) => bench.canvas.toBlob(resolve, 'image/jpeg', 0.92));
        const encoded = performance.now();
        const form = new FormData();
        form.append('image', blob, 'frame.jpg');
        const response = await fetch('/api/barcodes/decode', { method: 'POST', body: form, credentials: 'same-origin',
            headers: { Accept: 'application/json, application/problem+json' } });
        const answer = await response.json();
        if (response.status !== 200) throw new Error(`decode: ${response.status} ${JSON.stringify(answer)}`);
        const answered = performance.now();
        const found = answer.barcodes.map((b) => ({ text: b.text, symbologyIdentifier: b.symbology_identifier }));
        const verdict = await bench.judge(found);
        const end = performance.now();
        out.push({ ms: end - start, encode: encoded - start, trip: answered - encoded, server: answer.ms,
                   bytes: blob.size, verdict: verdict?.verdict, carton: verdict?.carton_number });
    }
    return out;
}"""


def wait_idle(page, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    """Until no sync of the app's own runs."""
    deadline = time.monotonic() + seconds
    while page.evaluate(SYNC_STATE):
        if time.monotonic() > deadline:
            raise RuntimeError("the app's sync did not finish")
        page.wait_for_timeout(100)


def make_records(page, inspection: dict, ops: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    """The records and photos, made while the app's own sync is held off; then its 2 s timer has passed."""
    page.evaluate(HOLD_AUTO_SYNC, True)
    made = page.evaluate(MAKE, {"inspectionId": inspection["id"], "orderId": inspection["order"]["id"], "ops": ops})
    page.wait_for_timeout(2500)
    page.evaluate(HOLD_AUTO_SYNC, False)
    wait_idle(page)
    return made


def single_requests(inspection: dict, ops: list[dict]) -> list[dict]:
    iid, out = inspection["id"], []
    for op in ops:
        body = op["body"] if "photo" not in op else {**op["body"], "photo_ids": [str(uuid.uuid4())]}
        if op["kind"] == "scan":
            out.append({"method": "POST", "path": f"/api/inspections/{iid}/scans",
                        "body": {"id": str(uuid.uuid4()), **body}})
        else:
            out.append({"method": "PUT", "path": f"/api/inspections/{iid}/{op['kind']}s/{uuid.uuid4()}", "body": body})
    return out


def held(port: int, token: str, inspection_id: str) -> dict[str, object]:
    """What the server holds of an inspection, counted over HTTP (as the inspector, on a new connection)."""
    client = Client(port)
    client.token = token
    head = client.call("GET", f"/api/inspections/{inspection_id}")[1]
    photos = client.call("GET", f"/api/inspections/{inspection_id}/photos")[1]
    return {"defects": len(head["defects"]), "measurements": len(head["measurements"]),  # type: ignore[index]
            "scans": len(head["scans"]), "photos": len(photos),  # type: ignore[index, arg-type]
            "verdicts": sorted(s["verdict"] for s in head["scans"])}  # type: ignore[index]


def expected(ops: list[dict], photos: int) -> dict[str, object]:
    return {"defects": sum(op["kind"] == "defect" for op in ops),
            "measurements": sum(op["kind"] == "measurement" for op in ops),
            "scans": sum(op["kind"] == "scan" for op in ops), "photos": photos,
            "verdicts": sorted(op["verdict"] for op in ops if op["kind"] == "scan")}


def phone_sync_and_camera(port: int, client: Client, floor: dict, n: int, photos: int, frames: int) -> None:
    from playwright.sync_api import sync_playwright

    rng = random.Random(4711)
    outbox, single, camera = (floor["inspections"][k] for k in ("outbox", "single", "camera"))
    ops = operations(outbox, floor["barcodes"], floor["codes"], n, photos, rng)
    naive_ops = operations(single, floor["barcodes"], floor["codes"], n, photos, random.Random(4711))  # the same
    naive = single_requests(single, naive_ops)
    warm = [op for op in operations(camera, floor["barcodes"], floor["codes"], 20, 1, rng) if op["kind"] != "scan"]
    picked = camera["cartons"][0]
    frame = "data:image/png;base64," + base64.b64encode(label_frame(picked["barcode"])).decode()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        context = browser.new_context(base_url=f"http://127.0.0.1:{port}", viewport={"width": 360, "height": 640},
                                      is_mobile=True, has_touch=True, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto("/app/")
        page.wait_for_function("document.documentElement.dataset.ready === 'true'")
        page.locator("input[name=username]").fill("bench-inspector")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        page.get_by_role("button", name="Download for offline use").click()
        page.wait_for_function("""() => { const cards = [...document.querySelectorAll('article.card')];
            return cards.length >= 4 && cards.every((c) => c.classList.contains('is-ready')); }""")
        page.wait_for_function("""async () => navigator.serviceWorker.controller !== null
            && (await caches.keys()).some((n) => n.startsWith('floorcheck-decoder-'))""")
        wait_idle(page)
        page.evaluate(LOAD_PHOTOS, [base64.b64encode(p.read_bytes()).decode() for p in CARTON_PHOTOS])

        # Warm-up of both ways, on the camera's inspection (no scans: its cartons stay unscanned).
        make_records(page, camera, warm)
        if not page.evaluate(SYNC_NOW)["ok"]:
            raise RuntimeError("the warm-up sync failed")
        page.evaluate(SINGLE, {"requests": single_requests(camera, warm)})

        made = make_records(page, outbox, ops)
        run = page.evaluate(SYNC_NOW)
        got = held(port, client.token, outbox["id"])
        if not run["ok"] or run["outbox"] or run["waiting"] or got != expected(ops, photos):
            raise AssertionError(f"the sync left work: ok {run['ok']}, outbox {run['outbox']}, photos waiting "
                                 f"{run['waiting']}; the server holds {got}, expected {expected(ops, photos)}")
        naive_ms = page.evaluate(SINGLE, {"requests": naive})
        got = held(port, client.token, single["id"])
        if got != expected(naive_ops, 0):
            raise AssertionError(f"the single requests: the server holds {got}")

        width, height = page.evaluate(CAMERA, {"png": frame, "inspectionId": camera["id"]})
        cold = page.evaluate(COLD)
        local = page.evaluate(FRAMES, {"frames": frames, "gap": 120})
        remote = page.evaluate(SERVER_FRAMES, {"frames": frames, "gap": 120})
        browser.close()

    report_sync(n, photos, made, run, naive_ms)
    report_camera(picked, (width, height), cold, local, remote)


def report_sync(n: int, photos: int, made: dict, run: dict, naive_ms: float) -> None:
    marks = run["marks"] + [["end", run["end"]]]
    phases: dict[str, float] = {}
    for (name, at), (_, until) in zip(marks, marks[1:]):
        if name != "done":  # the run's phases from the app's state; "done": My inspections refreshed after it
            phases[name] = phases.get(name, 0.0) + until - at
    push, upload = phases.get("push", 0.0), phases.get("photos", 0.0)
    pushes = [r["ms"] for r in run["requests"] if r["path"] == "/api/sync/push"]
    puts = [r["ms"] for r in run["requests"] if r["path"].startswith("/api/photos/")]
    saves, mb = made["saveMs"], made["bytes"] / 1e6
    sizes = ", ".join(sorted({f"{w} x {h}" for w, h in made["sizes"]}))

    def row(label: str, ms: float, rest: str = "") -> None:
        print(f"  {label:46} {ms:7.0f} ms   {rest}".rstrip())

    print(f"\nsync of an outbox of {n} operations and {photos} photos, end to end (SQLite; one round):")
    row(f"saveWithOutbox, {n} records (total)", sum(saves),
        f"per op {sum(saves) / n:5.1f} ms (median of the first 20 {statistics.median(saves[:20]):.1f} ms, "
        f"of the last 20 {statistics.median(saves[-20:]):.1f} ms)")
    row(f"addPhoto, {photos} carton photos (median)", statistics.median(made["photoMs"]),
        f"p90 {p90(made['photoMs']):.0f} ms   (4032 x 3024 JPEG -> {sizes}; {mb:.1f} MB in all)")
    row("syncNow(), until it answers", run["ms"], "(then: outbox and photo queue empty, the server holds it all)")
    row(f"  push: {len(pushes)} POST /api/sync/push", push,
        f"per op {push / n:5.2f} ms   (the request {sum(pushes):.0f} ms; the rest is IndexedDB)")
    row(f"  photos: {len(puts)} PUT /api/photos/{{id}}", upload,
        f"per photo {upload / max(1, len(puts)):.0f} ms; request median {statistics.median(puts):.0f} ms, "
        f"p90 {p90(puts):.0f} ms; {mb / (sum(puts) / 1000):.1f} MB/s (requests), "
        f"{mb / (upload / 1000):.1f} MB/s (phase)")
    row("  pull of the change feed", phases.get("pull", 0.0))
    row("  My inspections refreshed", run["ms"] - sum(phases.values()))
    row(f"naive: {n} single requests, in order", naive_ms,
        f"per op {naive_ms / n:5.2f} ms   (one fetch per route: PUT defect / measurement, POST scan)")
    print(f"  single requests / push: {naive_ms / push:.1f}x   (single requests / syncNow() without its photos phase: "
          f"{naive_ms / (run['ms'] - upload):.1f}x)")


def report_camera(picked: dict, size: tuple[int, int], cold: dict, local: list[dict], remote: list[dict]) -> None:
    verdicts = [(cold["verdict"] or {}).get("verdict"), *(f["verdict"] for f in local + remote)]
    cartons = [(cold["verdict"] or {}).get("carton_number"), *(f["carton"] for f in local + remote)]
    if set(verdicts) != {"ok"} or set(cartons) != {picked["number"]}:
        raise AssertionError(f"not every frame gave 'ok' for carton {picked['number']}: {verdicts}, {cartons}; "
                             f"the cold frame read {cold['codes']}")

    def row(label: str, values: list[float], rest: str = "") -> None:
        print(f"  {label:40} median {statistics.median(values):6.1f} ms   p90 {p90(values):6.1f} ms   {rest}".rstrip())

    print(f"\ncamera frame to verdict, a GS1-128 carton label in a {size[0]} x {size[1]} video frame "
          f"(carton {picked['number']}, 'ok' every time):")
    wasm = f"{cold['wasm']:.0f} ms" if cold["wasm"] is not None else "n/a"
    print(f"  {'first frame, cold':40} {cold['ms']:13.0f} ms   (decoder.js imported at {cold['import']:.0f} ms, "
          f"wasm ready at {wasm}, decode {cold['decode']:.0f} ms, verdict {cold['judge']:.0f} ms)")
    row(f"then {len(local)} frames, frame to verdict", [f["ms"] for f in local])
    row("  grab: drawImage + getImageData", [f["grab"] for f in local])
    row("  zxing-wasm decode", [f["decode"] for f in local])
    row("  verdict: IndexedDB + scanVerdict", [f["judge"] for f in local])
    row(f"naive: POST /api/barcodes/decode, {len(remote)}", [f["ms"] for f in remote])
    row("  JPEG of the frame (toBlob, 0.92)", [f["encode"] for f in remote],
        f"({statistics.median([f['bytes'] for f in remote]) / 1024:.0f} KB)")
    row("  round trip", [f["trip"] for f in remote],
        f"(the server's own decode: median {statistics.median([f['server'] for f in remote]):.1f} ms)")
    ratio = statistics.median([f["ms"] for f in remote]) / statistics.median([f["ms"] for f in local])
    print(f"  server round trip / on the phone: {ratio:.1f}x (medians)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=15)
    parser.add_argument("--operations", type=int, default=200, help="outbox operations (at most 500)")
    parser.add_argument("--photos", type=int, default=20, help="defects with a photo, among the operations")
    parser.add_argument("--frames", type=int, default=30, help="camera frames decoded after the first")
    args = parser.parse_args()
    shell_sizes()
    with tempfile.TemporaryDirectory(prefix="floorcheck-bench-pwa-") as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite+aiosqlite:///{tmp / 'pwa.sqlite3'}"
        migrate(db_url)
        with server(tmp, db_url) as port:
            client = Client(port)
            world = set_up(client)
            offline_reloads(port, args.reloads)
            fresh = Client(port)  # the server has closed the idle keep-alive connection meanwhile
            fresh.token = client.token  # the inspector's
            phone_sync_and_camera(port, fresh, floor_set_up(port, fresh, world), args.operations, args.photos,
                                  args.frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
