"""Barcodes through the API: GS1 parsing, decoding photos, and scanning a carton label by photo."""

from __future__ import annotations

import io
import json
import uuid

import pytest
import zxingcpp
from PIL import Image

from api.barcodes import gs1
from tests.helpers import TESTDATA, assert_problem, sscc


def label_jpeg(*codes: tuple[zxingcpp.BarcodeFormat, str], angle: float = 0, orientation: int | None = None) -> bytes:
    """A carton label photo: the codes stacked on white, on a cardboard background, saved as a JPEG."""
    symbols = []
    for fmt, text in codes:
        raw = zxingcpp.create_barcode(text, fmt, gs1=text.startswith("(")).to_image(scale=3, add_quiet_zones=True)
        symbol = Image.frombytes("L", (raw.shape[1], raw.shape[0]), bytes(memoryview(raw)))
        symbols.append(symbol.resize((symbol.width, max(symbol.height, 120))) if symbol.height < 20 else symbol)
    label = Image.new("L", (max(s.width for s in symbols) + 60, sum(s.height + 40 for s in symbols) + 40), 250)
    y = 40
    for symbol in symbols:
        label.paste(symbol, (30, y))
        y += symbol.height + 40
    photo = Image.new("L", (label.width + 400, label.height + 400), 140)
    rotated = label.rotate(angle, expand=True, fillcolor=140)
    photo.paste(rotated, ((photo.width - rotated.width) // 2, (photo.height - rotated.height) // 2))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    photo.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize(("text", "valid", "elements"), [
    ("(00)369012340000000017(400)PO-4500123", True, [("00", "369012340000000017"), ("400", "PO-4500123")]),
    ("]C1010950600013435210ABC\x1d3103000250", True, [("01", "09506000134352"), ("10", "ABC"), ("3103", "0.250")]),
    ("4006381333931", True, [("01", "04006381333931")]),
    ("4006381333932", False, [("01", "04006381333932")]),
])
def test_parse_endpoint(world, text, valid, elements) -> None:  # type: ignore[no-untyped-def]
    body = world.inspector.post("/api/barcodes/parse", json={"text": text}).json()
    assert body["valid"] is valid
    assert [(e["ai"], str(e["value"])) for e in body["elements"]] == elements
    assert all(e["message"] and e["message_zh"] for e in body["errors"])


def test_parse_reports_precise_errors(world) -> None:  # type: ignore[no-untyped-def]
    body = world.inspector.post("/api/barcodes/parse", json={"text": "(17)251332(99)X"}).json()
    assert not body["valid"] and "invalid_date" in {e["code"] for e in body["errors"]}
    assert_problem(world.inspector.post("/api/barcodes/parse", json={"text": ""}), 400)


def decode(actor, data: bytes, name: str = "label.jpg", content_type: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return actor.post("/api/barcodes/decode", files={"image": (name, data, content_type)})


def test_decode_a_sample_image(world) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((TESTDATA / "barcodes" / "manifest.json").read_text())
    entry = next(e for e in manifest if e["format"] == "EAN13")
    body = decode(world.inspector, (TESTDATA / "barcodes" / entry["file"]).read_bytes(), "x.webp", "image/webp").json()
    assert entry["expected"] in [b["text"] for b in body["barcodes"]]
    assert body["ms"] >= 0 and body["barcodes"][0]["gs1"]["valid"] is True


def test_decode_a_rotated_label_with_several_codes(world) -> None:  # type: ignore[no-untyped-def]
    code = sscc(42)
    data = label_jpeg((zxingcpp.BarcodeFormat.Code128, f"(00){code}"), (zxingcpp.BarcodeFormat.QRCode, "PO 4500123"),
                      angle=20, orientation=6)
    body = decode(world.inspector, data).json()
    found = {b["format"]: b for b in body["barcodes"]}
    assert found["GS1-128"]["gs1"]["elements"][0] == {"ai": "00", "name": "SSCC", "value": code}
    assert found["QRCode"]["text"] == "PO 4500123"
    assert len(found["GS1-128"]["position"]) == 4


def test_decode_answers_bad_input_precisely(world) -> None:  # type: ignore[no-untyped-def]
    empty = io.BytesIO()
    Image.new("L", (640, 480), 200).save(empty, "PNG")
    assert decode(world.inspector, empty.getvalue(), "blank.png", "image/png").json()["barcodes"] == []
    assert_problem(decode(world.inspector, b"%PDF-1.7 not an image"), 415)
    assert_problem(decode(world.inspector, label_jpeg((zxingcpp.BarcodeFormat.QRCode, "x"))[:3000]), 422)
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 MP of nothing, a few kB on disk
    assert_problem(decode(world.inspector, bomb.getvalue(), "bomb.png", "image/png"), 422)
    assert_problem(world.inspector.post("/api/barcodes/decode", files={"other": ("x", b"1")}), 400)


def test_scan_a_picked_carton_by_photo(world, psi) -> None:  # type: ignore[no-untyped-def]
    carton = psi["cartons"][0]
    path = f"/api/inspections/{psi['id']}/scans"
    scan_id = str(uuid.uuid4())
    data = label_jpeg((zxingcpp.BarcodeFormat.Code128, f"(00){carton['barcode']}"),
                      (zxingcpp.BarcodeFormat.EAN13, gs1.normalize_gtin(world.orders[0]["lines"][0]["gtin"])[1:]))
    response = world.inspector.post(path, data={"id": scan_id}, files={"image": ("label.jpg", data, "image/jpeg")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["verdict"] == "ok" and body["carton_number"] == carton["number"]
    replay = world.inspector.post(path, data={"id": scan_id}, files={"image": ("label.jpg", data, "image/jpeg")})
    assert replay.status_code == 200 and replay.json() == body
    blank = io.BytesIO()
    Image.new("L", (300, 200), 255).save(blank, "JPEG")
    assert_problem(world.inspector.post(path, data={"id": str(uuid.uuid4())},
                                        files={"image": ("x.jpg", blank.getvalue(), "image/jpeg")}), 422)
    assert_problem(world.inspector.post(path, content=b"id=1", headers={"Content-Type": "text/plain"}), 415)
    assert_problem(world.inspector.post(path, json={"id": "nope", "text": "1"}), 400)


# --- tiny images, hostile text ---------------------------------------------------------------------------------


def tiny_png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(1, 1), (1, 100), (100, 1)])
def test_a_tiny_photo_is_decoded_to_no_barcode(world, size) -> None:  # type: ignore[no-untyped-def]
    # What a phone user expects from a photo with nothing readable in it: "no barcode", as for a blank label.
    response = decode(world.inspector, tiny_png(size), "tiny.png", "image/png")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["barcodes"] == [] and (body["width"], body["height"]) == size


@pytest.mark.parametrize("size", [(1, 1), (1, 100)])
def test_a_tiny_label_photo_scan_says_no_barcode_was_read(world, psi, size) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/scans"
    scan_id = str(uuid.uuid4())
    problem = assert_problem(world.inspector.post(path, data={"id": scan_id},
                                                  files={"image": ("tiny.png", tiny_png(size), "image/png")}), 422)
    assert "No barcode" in problem["detail"] and problem["detail_zh"]
    # Nothing was stored under the id: the phone may use it for the code typed instead.
    typed = world.inspector.post(path, json={"id": scan_id, "text": psi["cartons"][0]["barcode"]})
    assert typed.status_code == 201, typed.text


@pytest.mark.parametrize(("text", "why"), [("0012\x00", "regex"), ("9" * 201, "length")])
def test_a_scan_text_with_nul_or_longer_than_its_column_is_a_400(world, psi, text, why) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.inspector.post(f"/api/inspections/{psi['id']}/scans",
                                                  json={"id": str(uuid.uuid4()), "text": text}), 400)
    assert "text" in problem["detail"] and why in problem["detail"] and problem["detail_zh"]
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json()["scans"] == []


def test_a_gs1_text_with_nul_is_a_400(world) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.inspector.post("/api/barcodes/parse", json={"text": "(00)1\x00"}), 400)
    assert "text" in problem["detail"]


def test_a_photo_scan_id_taken_by_another_inspection_is_refused_without_its_content(world, psi) -> None:  # type: ignore[no-untyped-def]
    carton = psi["cartons"][0]
    data = label_jpeg((zxingcpp.BarcodeFormat.Code128, f"(00){carton['barcode']}"))
    scan_id = str(uuid.uuid4())
    first = world.inspector.post(f"/api/inspections/{psi['id']}/scans", data={"id": scan_id},
                                 files={"image": ("label.jpg", data, "image/jpeg")})
    assert first.status_code == 201, first.text
    other = str(uuid.uuid4())  # another inspection of the order, which the inspector's colleague does
    booked = world.supervisor.post(f"/api/orders/{world.orders[0]['id']}/inspections", json={
        "id": other, "type": "pre_shipment", "assignee_id": world.other_inspector.id})
    assert booked.status_code == 201, booked.text
    own = assert_problem(world.inspector.post(f"/api/inspections/{psi['id']}/scans",
                                              json={"id": scan_id, "text": psi["cartons"][1]["barcode"]}), 409)
    assert own["current"]["id"] == scan_id  # the phone's own scan: the server's copy comes with it
    for actor in (world.other_inspector, world.supervisor):  # psi is hidden from the one, visible to the other
        again = actor.post(f"/api/inspections/{other}/scans", data={"id": scan_id},
                           files={"image": ("label.jpg", data, "image/jpeg")})
        problem = assert_problem(again, 409)
        assert {k: problem[k] for k in ("type", "detail", "detail_zh")} == {
            k: own[k] for k in ("type", "detail", "detail_zh")}
        assert "current" not in problem and carton["barcode"] not in again.text


@pytest.mark.parametrize("content", ["A" * 201, "AB\x00CD"])
def test_a_label_photo_whose_only_code_a_scan_cannot_keep_is_a_422(world, psi, content) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/scans"
    data = label_jpeg((zxingcpp.BarcodeFormat.QRCode, content))
    assert any(b["text"] == content for b in decode(world.inspector, data).json()["barcodes"])  # it is read
    problem = assert_problem(world.inspector.post(path, data={"id": str(uuid.uuid4())},
                                                  files={"image": ("label.jpg", data, "image/jpeg")}), 422)
    assert problem["detail_zh"] and "type the code" in problem["detail"]
    # Beside the carton's own code, it is only one of the other codes read.
    carton = psi["cartons"][0]
    both = label_jpeg((zxingcpp.BarcodeFormat.Code128, f"(00){carton['barcode']}"),
                      (zxingcpp.BarcodeFormat.QRCode, content))
    scanned = world.inspector.post(path, data={"id": str(uuid.uuid4())},
                                   files={"image": ("label.jpg", both, "image/jpeg")})
    assert scanned.status_code == 201, scanned.text
    assert scanned.json()["verdict"] == "ok" and scanned.json()["carton_number"] == carton["number"]
    assert scanned.json()["other_codes"] == ([content] if "\x00" not in content else [])
