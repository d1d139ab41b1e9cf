"""Benchmark of photo ingest (api.media) against naive Pillow and against the decode floor.

Not a test: it prints a table.

    .venv/bin/python bench/photos.py [--count 20] [--rounds 3] [--stages]

It generates 12 MP phone-like JPEGs once (cached under bench/.cache/, which ignores itself), then
runs each approach over all of them in a fresh subprocess, so that peak RSS (ru_maxrss) belongs
to that approach alone:

* floor  - what the display needs at the least: header, ``draft()`` to the scale the display
           needs, ``load()``. Nothing else.
* ingest - the real thing: ``ingest_and_store()`` = ``ingest()`` (sniff, SHA-256, orientation,
           display + thumb, dHash, provenance) and storing original, display and thumb into a
           LocalStorage in a temp dir (each write fsynced).
* ingest serial - the same with ``parallel=False`` (one thread), for reference.
* ingest progressive - the same with a progressive display JPEG (the display is baseline since
           progressive costs ~7x the encode CPU), for reference.
* naive  - open, ``ImageOps.exif_transpose``, ``thumbnail((1600, 1600), reducing_gap=None)``
           (no draft), save JPEG q85 to memory. Display only: no thumb, hash or storage. It runs on
           stock Pillow, without the memory pool our module sets up; the floor runs with it.

Rounds are interleaved; each photo's time is its best over the rounds (the machine is shared),
and the table shows the median and p90 over photos. "cpu" is process CPU time (all threads).

``--stages`` prints instead where the CPU time of one ``ingest_and_store(parallel=False)`` goes,
stage by stage (thread CPU time, each stage without the stages it calls).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
GENERATOR_VERSION = "v1"
MAX_PIXELS = 50_000_000
DISPLAY_MAX = 1600

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- generation


def _photo(seed: int, size: tuple[int, int] = (4000, 3000)) -> tuple[bytes, int]:
    """A photo-like 12 MP JPEG: gradients, shapes, fabric-like texture and sensor noise.

    Returns the bytes and the EXIF orientation written (1, 6 or 8).
    """
    from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    w, h = size
    channels = []
    for _ in range(3):
        g = Image.linear_gradient("L").rotate(rnd.uniform(0, 360), resample=Image.Resampling.BICUBIC)
        g = ImageChops.blend(g, Image.radial_gradient("L"), rnd.uniform(0.2, 0.6))
        scale, offset = rnd.uniform(0.3, 0.8), rnd.randint(20, 90)
        g = g.point(lambda v, a=scale, b=offset: int(v * a + b))
        channels.append(g.resize(size, Image.Resampling.BICUBIC))
    img = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(img)
    for _ in range(rnd.randint(15, 35)):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        box = (x0, y0, x0 + rnd.randint(80, 1600), y0 + rnd.randint(80, 1200))
        colour = tuple(rnd.randrange(30, 230) for _ in range(3))
        kind = rnd.random()
        if kind < 0.4:
            draw.ellipse(box, fill=colour)
        elif kind < 0.7:
            draw.rectangle(box, fill=colour)
        else:
            points = [(rnd.randrange(w), rnd.randrange(h)) for _ in range(rnd.randint(3, 6))]
            draw.polygon(points, fill=colour)
    for _ in range(rnd.randint(10, 40)):  # seams, threads, edges
        points = [(rnd.randrange(w), rnd.randrange(h)) for _ in range(2)]
        draw.line(points, fill=tuple(rnd.randrange(256) for _ in range(3)), width=rnd.randint(2, 12))
    img = img.filter(ImageFilter.GaussianBlur(rnd.uniform(1.0, 2.5)))
    texture = Image.effect_noise((w // 4, h // 4), rnd.uniform(20, 50)).resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, rnd.uniform(6, 22))
    noise = ImageChops.blend(texture, grain, rnd.uniform(0.3, 0.7))
    img = ImageChops.add(img, Image.merge("RGB", [noise] * 3), offset=-128)

    orientation = (1, 1, 6, 1, 8)[seed % 5]  # 2 in 5 shot in portrait, stored sideways
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Xiaomi"
    exif[ExifTags.Base.Model] = "Redmi Note 12"
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = f"2025:03:{1 + seed % 28:02d} 10:{seed % 60:02d}:00"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (22.0, 32.0, 10.0 + seed), 3: "E", 4: (113.0, 56.0, 5.0), 5: b"\x00", 6: 20.0})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rnd.choice((88, 90, 92, 94)), exif=exif, icc_profile=icc)
    return buf.getvalue(), orientation


def ensure_photos(count: int) -> list[Path]:
    folder = CACHE / f"photos-{GENERATOR_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    paths = []
    for seed in range(count):
        path = folder / f"photo-{seed:02d}.jpg"
        if not path.exists():
            t0 = time.perf_counter()
            data, orientation = _photo(seed)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            print(
                f"  generated {path.name}: {len(data) / 1e6:.1f} MB, orientation {orientation}"
                f" ({time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
            )
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- approaches


def _floor(data: bytes, _tmp: Path) -> None:
    from PIL import ExifTags, Image

    im = Image.open(io.BytesIO(data))
    w, h = im.size
    orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    scale = min(1.0, DISPLAY_MAX / max(w, h))
    target = (round(w * scale), round(h * scale))
    if orientation in (5, 6, 7, 8):
        target = target[::-1]
    im.draft("RGB", target)
    im.load()


def _naive(data: bytes, _tmp: Path) -> None:
    from PIL import Image, ImageOps

    im = Image.open(io.BytesIO(data))
    im = ImageOps.exif_transpose(im)
    im.thumbnail((DISPLAY_MAX, DISPLAY_MAX), reducing_gap=None)
    im.save(io.BytesIO(), "JPEG", quality=85)


def _make_ingest(parallel: bool, progressive: bool = False):  # type: ignore[no-untyped-def]
    def run(data: bytes, tmp: Path) -> None:
        from api.media import processing
        from api.media.storage import LocalStorage, ingest_and_store

        processing.DISPLAY_PROGRESSIVE = progressive

        ingest_and_store(
            LocalStorage(tmp), data, max_pixels=MAX_PIXELS, display_max=DISPLAY_MAX, parallel=parallel
        )

    return run


APPROACHES = {
    "floor": _floor,
    "ingest": _make_ingest(True),
    "ingest serial": _make_ingest(False),
    "ingest progressive": _make_ingest(True, progressive=True),
    "naive": _naive,
}


def _max_rss_mb() -> float:
    """Peak RSS of this process in MB.

    On Linux this is VmHWM of the process's own address space: ru_maxrss would not do, because
    Linux carries the parent's peak over an exec into the child.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def worker(approach: str, paths: list[Path]) -> None:
    """Runs in a fresh interpreter: time one approach over all photos, report JSON."""
    import PIL.Image  # noqa: F401  (imports are part of the baseline, not of the work)

    if approach != "naive":
        # Our ingest tunes Pillow's memory pool process-wide on first use. The naive way is stock
        # Pillow, so it runs without it; the floor runs with it, which makes the floor stricter.
        import api.media.processing  # noqa: F401
        import api.media.storage  # noqa: F401
        from api.imaging import use_memory_pool

        use_memory_pool()

    fn = APPROACHES[approach]
    baseline = _max_rss_mb()
    wall: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
        fn(paths[0].read_bytes(), Path(tmp) / "warmup")  # lazy plugin loads etc.
        for path in paths:
            data = path.read_bytes()
            t0, c0 = time.perf_counter(), time.process_time()
            fn(data, Path(tmp) / "store")
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            del data
    print(json.dumps({"wall": wall, "cpu": cpu, "rss": _max_rss_mb(), "baseline": baseline}))


# --------------------------------------------------------------------------- stages


def stages(paths: list[Path], rounds: int) -> None:
    """Per-stage CPU time of a serial ingest_and_store (in this process; see the docstring)."""
    import functools

    from PIL import ImageFile

    from api.media import processing, storage

    times: dict[str, float] = {}  # this photo's exclusive time per stage, ms
    stack: list[float] = []  # time spent in nested stages, per open stage

    def timed(owner: object, name: str, label: str) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            stack.append(0.0)
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = (time.thread_time() - t0) * 1000
                nested = stack.pop()
                times[label] = times.get(label, 0.0) + spent - nested
                if stack:
                    stack[-1] += spent

        setattr(owner, name, wrapper)

    timed(processing, "_open", "open + header checks")
    timed(processing, "_read_exif", "EXIF parse")
    timed(processing, "_verify", "SHA-256")
    timed(ImageFile.ImageFile, "load", "decode (draft) = floor")
    timed(processing, "_resize_upright", "resize + orient")
    timed(processing, "_encode_display", "display JPEG")
    timed(processing, "_thumbnail", "thumb resize")
    timed(processing, "_encode_thumb", "thumb WebP")
    timed(processing, "_dhash", "dHash")
    timed(storage.LocalStorage, "put", "3 writes + fsyncs")
    timed(storage, "ingest_and_store", "other")

    best: list[dict[str, float]] = [{} for _ in paths]
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
        storage.ingest_and_store(  # warm-up: lazy plugin loads etc.
            storage.LocalStorage(Path(tmp) / "warmup"), paths[0].read_bytes(), max_pixels=MAX_PIXELS
        )
        for r in range(rounds):
            store = storage.LocalStorage(Path(tmp) / f"round-{r}")
            for i, path in enumerate(paths):
                data = path.read_bytes()
                times.clear()
                storage.ingest_and_store(store, data, max_pixels=MAX_PIXELS, parallel=False)
                total = sum(times.values())
                if not best[i] or total < sum(best[i].values()):
                    best[i] = dict(times)
    print(f"\nCPU per stage, serial ingest_and_store, median over {len(paths)} photos (best of {rounds})\n")
    print(f"{'stage':<26} {'cpu ms':>7} {'share':>6}")
    print("-" * 41)
    total = statistics.median(sum(b.values()) for b in best)
    for label in best[0]:
        ms = statistics.median(b.get(label, 0.0) for b in best)
        print(f"{label:<26} {ms:>7.1f} {ms / total:>6.0%}")
    print("-" * 41)
    print(f"{'total':<26} {total:>7.1f}")


# --------------------------------------------------------------------------- driver


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="photos in a row (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--only", nargs="*", choices=list(APPROACHES), help="run only these")
    parser.add_argument("--stages", action="store_true", help="CPU time per ingest stage instead")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, [Path(p) for p in args.paths])
        return
    if args.generate:
        ensure_photos(args.generate)
        return

    import PIL

    print("generating / checking the photo set …", file=sys.stderr)
    # In a child process, so this process stays small (its children inherit nothing big).
    subprocess.run([sys.executable, __file__, "--generate", str(args.count)], check=True, cwd=ROOT)
    paths = ensure_photos(args.count)
    if args.stages:
        stages(paths, args.rounds)
        return
    sizes = [p.stat().st_size / 1e6 for p in paths]
    approaches = args.only or list(APPROACHES)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")  # busy machine?
    print(
        f"{len(paths)} photos 4000x3000 JPEG, {min(sizes):.1f}-{max(sizes):.1f} MB "
        f"(mean {statistics.mean(sizes):.1f}); Pillow {PIL.__version__}; "
        f"{os.cpu_count()} CPUs, load {load:.2f}; best of {args.rounds} rounds per photo"
    )

    results: dict[str, dict[str, list[float]]] = {
        a: {"wall": [], "cpu": [], "rss": [], "baseline": []} for a in approaches
    }
    for _ in range(args.rounds):
        for approach in approaches:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", approach, *map(str, paths)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            report = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[approach]
            if not r["wall"]:
                r["wall"], r["cpu"] = report["wall"], report["cpu"]
            else:
                r["wall"] = [min(a, b) for a, b in zip(r["wall"], report["wall"])]
                r["cpu"] = [min(a, b) for a, b in zip(r["cpu"], report["cpu"])]
            r["rss"].append(report["rss"])
            r["baseline"].append(report["baseline"])

    print()
    print(f"{'approach':<18} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>8} {'peak RSS MB':>12} {'(after imports)':>16}")
    print("-" * 77)
    summary = {}
    cpu = {}
    for approach in approaches:
        r = results[approach]
        median, p90 = statistics.median(r["wall"]), _p90(r["wall"])
        summary[approach] = median
        cpu[approach] = statistics.median(r["cpu"])
        print(
            f"{approach:<18} {median:>10.1f} {p90:>8.1f} {statistics.median(r['cpu']):>8.1f}"
            f" {max(r['rss']):>12.1f} {max(r['baseline']):>16.1f}"
        )
    print()
    if {"floor", "ingest"} <= summary.keys():
        ratio = summary["ingest"] / summary["floor"]
        print(
            f"ingest / floor  = {ratio:4.2f}x   (target <= 2.0)  {'OK' if ratio <= 2.0 else 'MISSED'}"
            f"   [cpu time: {cpu['ingest'] / cpu['floor']:4.2f}x]"
        )
    if {"naive", "ingest"} <= summary.keys():
        speedup = summary["naive"] / summary["ingest"]
        print(
            f"naive / ingest  = {speedup:4.2f}x   (target >= 2.0)  {'OK' if speedup >= 2.0 else 'MISSED'}"
            f"   [cpu time: {cpu['naive'] / cpu['ingest']:4.2f}x]"
        )
    if "ingest" in results:
        peak = max(results["ingest"]["rss"])
        print(
            f"ingest peak RSS = {peak:5.1f} MB (target < 150 over {len(paths)} photos)  "
            f"{'OK' if peak < 150 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
