"""Draws the phone app's icons (static/pwa/icons/) with Pillow: this script is their source.

The mark: a white carton with a green check on the app's blue. `any` icons are rounded squares with
transparent corners; `maskable` ones fill the square and keep the mark inside the central 80 % safe zone
(Android crops them to a circle or a squircle); the Apple touch icon is opaque (iOS paints transparency
black). Run: .venv/bin/python scripts/pwa-icons.py, then set VERSION in static/pwa/sw.js (tests/pwa/test_shell.py says
to what).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "pwa" / "icons"
BLUE = (11, 83, 148, 255)  # #0b5394, the manifest's theme_color
WHITE = (255, 255, 255, 255)
GREEN = (22, 128, 61, 255)  # #16803d
TAPE = (205, 222, 238, 255)
SCALE = 4  # drawn at 4x, then reduced: smooth edges without an anti-aliasing library


def mark(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    """The carton and the check, inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    # The carton: a white box with a lid line and a strip of tape.
    cx0, cy0, cx1, cy1 = x0 + 0.08 * w, y0 + 0.16 * h, x1 - 0.08 * w, y1 - 0.10 * h
    draw.rounded_rectangle((cx0, cy0, cx1, cy1), radius=0.07 * w, fill=WHITE)
    lid = cy0 + 0.24 * (cy1 - cy0)
    draw.rectangle((cx0, lid - 0.018 * h, cx1, lid + 0.018 * h), fill=TAPE)
    mid = (cx0 + cx1) / 2
    draw.rectangle((mid - 0.07 * w, cy0, mid + 0.07 * w, lid), fill=TAPE)
    # The check, bold, in the lower part of the carton.
    stroke = 0.11 * w
    pts = [(x0 + 0.27 * w, y0 + 0.60 * h), (x0 + 0.44 * w, y0 + 0.76 * h), (x0 + 0.76 * w, y0 + 0.43 * h)]
    draw.line(pts, fill=GREEN, width=round(stroke), joint="curve")
    r = stroke / 2
    for px, py in (pts[0], pts[-1]):
        draw.ellipse((px - r, py - r, px + r, py + r), fill=GREEN)


def icon(size: int, *, maskable: bool = False, opaque: bool = False) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable or opaque:
        draw.rectangle((0, 0, big, big), fill=BLUE)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=0.22 * big, fill=BLUE)
    # Maskable: the safe zone is a circle of radius 0.4 * size around the centre; the mark's box fits it.
    inset = 0.24 * big if maskable else 0.14 * big
    mark(draw, (inset, inset, big - inset, big - inset))
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    if opaque:
        image = image.convert("RGB")
    # A palette of 64 colours looks the same for a flat mark and is a quarter of the bytes: the icons count
    # in the shell's size budget (tests/pwa/test_shell.py).
    return image.quantize(colors=64, method=Image.Quantize.FASTOCTREE)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    outputs = {
        "icon-192.png": icon(192),
        "icon-512.png": icon(512),
        "maskable-192.png": icon(192, maskable=True),
        "maskable-512.png": icon(512, maskable=True),
        "apple-touch-icon.png": icon(180, opaque=True),
        "favicon-32.png": icon(32),
    }
    for name, image in outputs.items():
        image.save(OUT / name, optimize=True)
        print(f"{OUT / name}: {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
