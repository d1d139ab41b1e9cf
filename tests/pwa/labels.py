"""Carton labels for the phone's camera: a label image with several barcodes (as tests/barcodes makes them, the
symbols drawn by zxing-cpp) and a one-frame YUV4MPEG2 (.y4m) video of it, written with Pillow alone, for
Chromium's fake camera (`--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<file>.y4m`)."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageFont

TRACKING = "1Z88899K2324252627"  # a carrier's tracking code: on no packing list


def symbol(text: str, fmt: zxingcpp.BarcodeFormat = zxingcpp.BarcodeFormat.Code128, scale: int = 2,
           height: int = 90) -> Image.Image:
    """A 1D symbol, `scale` pixels per module, `height` pixels tall, quiet zones included. A text in
    parentheses is a GS1 element string: a GS1-128 (FNC1 first, ]C1)."""
    raw = zxingcpp.create_barcode(text, fmt, gs1=text.startswith("(")).to_image(scale=scale, add_quiet_zones=True)
    image = Image.frombytes("L", (raw.shape[1], raw.shape[0]), bytes(memoryview(raw)))
    row = image.crop((0, image.height // 2, image.width, image.height // 2 + 1))
    return row.resize((image.width, height), Image.Resampling.NEAREST)


def carton_label(sscc: str, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A shipping label on a cardboard-brown background: the carrier's tracking code first, then the
    carton's SSCC as GS1-128 "(00)…", each with its human-readable line."""
    frame = Image.new("L", size, 150)
    label = Image.new("L", (size[0] - 40, size[1] - 40), 250)
    draw = ImageDraw.Draw(label)
    font = ImageFont.load_default(size=18)
    draw.text((16, 10), "SHIP TO: HAMBURG  PO-24-1187", fill=20, font=font)
    y = 40
    for text in (TRACKING, f"(00){sscc}"):
        code = symbol(text)
        label.paste(code, ((label.width - code.width) // 2, y))
        y += code.height + 4
        draw.text(((label.width - draw.textlength(text, font=font)) // 2, y), text, fill=20, font=font)
        y += 44
    frame.paste(label, (20, 20))
    return frame


def write_y4m(image: Image.Image, path: Path, frames: int = 1) -> Path:
    """`image` as a YUV4MPEG2 video of `frames` identical frames, 4:2:0 (JPEG's full-range YCbCr), 30 fps."""
    width, height = image.size
    assert width % 2 == 0 and height % 2 == 0, "4:2:0 needs even sides"
    y, cb, cr = image.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half, Image.Resampling.BOX).tobytes() + cr.resize(half, Image.Resampling.BOX).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path
