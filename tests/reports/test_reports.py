"""The inspection report: HTML and PDF, in English and Chinese, with the stored photos passed through."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from api.media.storage import LocalStorage, content_key
from tests.helpers import assert_problem, sscc
from tests.inspections.test_inspections_api import png_signature, put_defect, scan, set_units

EXIF = Path(__file__).resolve().parents[1] / "data" / "exif"
OUTPUT = Path(__file__).parent / "output"

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(autouse=True)
def weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    """WeasyPrint only logs a font it cannot load (and falls back to another face) or a URL it may not fetch:
    any warning of its fails the test."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
    assert not [r.getMessage() for r in records]


def upload(actor, inspection, name, **params):  # type: ignore[no-untyped-def]
    response = actor.put(f"/api/photos/{uuid.uuid4()}", content=(EXIF / name).read_bytes(),
                         params={"inspection_id": inspection["id"], **params}, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 201, response.text
    return response.json()


def record(world, psi, *, submit=True):  # type: ignore[no-untyped-def]
    """Two defects with photos (one annotated), a failed checklist item with its photo, a measurement out of
    tolerance, a stray carton scanned, all picked cartons but one scanned (its reason given), the sample complete;
    submitted and signed by the inspector and the factory."""
    inspector = world.inspector
    order_id = psi["order"]["id"]
    assert world.merchandiser.put(f"/api/orders/{order_id}/spec-sheet", json={"points": [
        {"code": "CH", "name": "Chest 1/2", "name_zh": "胸围", "tol_minus": "1", "specs": {"M": "50"}}]}
    ).status_code in (200, 201)
    inspection = f"/api/inspections/{psi['id']}"
    for unit, reading in (("1", "50.5"), ("2", "52.5")):
        assert inspector.put(f"{inspection}/measurements/{uuid.uuid4()}", json={
            "sample_unit": unit, "size": "M", "point": "CH", "reading": reading}).status_code == 201
    marks = upload(inspector, psi, "Landscape_5.jpg", checklist_item="carton_marks", caption="Marks smudged")
    assert inspector.put(f"{inspection}/checklist/{uuid.uuid4()}", json={
        "item_key": "carton_marks", "result": "fail", "note": "Smudged print", "photo_ids": [marks["id"]]}
    ).status_code == 201
    assert inspector.post(f"{inspection}/scans", json={"id": str(uuid.uuid4()), "text": sscc(9999)}
                          ).json()["verdict"] != "ok"
    stitch, stain = str(uuid.uuid4()), str(uuid.uuid4())
    photos = [marks, upload(inspector, psi, "Portrait_0.jpg", defect_id=stitch, caption="Broken stitch at the hem"),
              upload(inspector, psi, "Landscape_1.jpg", defect_id=stitch, caption="Close-up"),
              upload(inspector, psi, "Landscape_3.jpg", caption="Carton label")]
    assert put_defect(inspector, psi, "major", count=2, defect_id=stitch, note="Left side seam",
                      photo_ids=[p["id"] for p in photos[1:3]]).status_code == 201
    assert put_defect(inspector, psi, "minor", count=3, defect_id=stain, code="W01").status_code == 201
    shapes = [{"type": "circle", "cx": 200, "cy": 200, "r": 80},
              {"type": "arrow", "x1": 20, "y1": 20, "x2": 150, "y2": 150},
              {"type": "text", "x": 30, "y": 380, "text": "断线 here"}]
    annotated = inspector.put(f"/api/photos/{photos[1]['id']}/annotations", json={"shapes": shapes, "version": 0})
    assert annotated.status_code == 200, annotated.text
    for carton in psi["cartons"][1:]:
        assert scan(inspector, psi, carton["barcode"]).json()["verdict"] == "ok"
    current = set_units(inspector, psi, 80)
    if submit:
        missing = [{"carton_number": psi["cartons"][0]["number"], "reason": "Under the pallet 压在托盘下"}]
        done = inspector.post(f"/api/inspections/{psi['id']}/submit", json={"version": current["version"],
                                                                              "missing_cartons": missing})
        assert done.status_code == 200, done.text
        path = f"/api/inspections/{psi['id']}/signatures"
        assert inspector.post(path, json={"role": "inspector", "name": "Chen Wei 陈伟",
                                          "image_png": png_signature()}).status_code == 201
        assert world.factory_user.post(path, json={"role": "factory", "name": "Mr. Zhou 周厂长"}).status_code == 201
    return photos


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def images(pdf: bytes) -> list[Any]:
    """Every image XObject, however deeply WeasyPrint nests them in form XObjects."""
    found: list[Any] = []
    seen: set[int] = set()

    def walk(resources: Any) -> None:
        for ref in (resources or {}).get("/XObject", {}).values():
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.append(xobject)
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return found


def test_html_report_has_the_key_facts_in_both_languages(world, psi) -> None:  # type: ignore[no-untyped-def]
    photos = record(world, psi)
    path = f"/api/inspections/{psi['id']}/report"
    en = world.supervisor.get(path)
    assert en.status_code == 200 and en.headers["content-type"].startswith("text/html")
    html = en.text
    for fact in ("PO-1", "Pre-shipment inspection (PSI)", "Verdict: PASS", "Broken stitch", "断线", "Chen Wei",
                 "Mr. Zhou", "Left side seam", "Broken stitch at the hem", "Not reviewed yet", "<svg", "<circle",
                 "Under the pallet", "Packing-list mismatches", sscc(9999), "Chest 1/2", "Smudged print",
                 "Marks smudged", "The photo carries no capture time"):
        assert fact in html, fact
    assert '<td class="num off" title="out of tolerance">' in html and "52.5" in html
    assert f"/media/photos/{photos[1]['id']}/thumb" in html and 'loading="lazy"' in html
    assert "DRAFT" not in html
    zh = world.supervisor.get(path, params={"lang": "zh"}).text
    for fact in ("验货报告", "尾期验货", "结论：合格", "断线", "Broken stitch", "严重", "轻微", "签字", "尚未审核",
                 "胸围", "箱唛", "不合格", "照片没有拍摄时间", "与装箱单不符", "压在托盘下"):
        assert fact in zh, fact


def test_pdf_carries_verdict_counts_chinese_names_and_the_stored_jpegs(world, psi, settings) -> None:  # type: ignore[no-untyped-def]
    photos = record(world, psi)
    reviewed = world.supervisor.post(f"/api/inspections/{psi['id']}/review",
                                     json={"decision": "accepted", "note": "Ship it 可以出货"})
    assert reviewed.status_code == 200, reviewed.text
    response = world.supervisor.get(f"/api/inspections/{psi['id']}/report.pdf", params={"lang": "zh"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="inspection-PO-1-pre_shipment-zh.pdf"' in response.headers["content-disposition"]
    text = pdf_text(response.content)
    for fact in ("合格", "断线", "Broken stitch", "严重", "接受", "可以出货", "PO-1"):
        assert fact in text, fact
    assert "严重 2" in text and "轻微 3" in text  # the defect counts per severity
    storage = LocalStorage(settings.media_dir)
    embedded = [x._data for x in images(response.content) if x.get("/Filter") == "/DCTDecode"]
    # Every photo once, as its stored JPEG; the only other image is the signature: the annotations are vectors.
    assert len(embedded) == len(photos) and len(images(response.content)) == len(photos) + 1
    for photo in photos:
        assert storage.get(content_key(photo["sha256"], "display")) in embedded
    reader = PdfReader(io.BytesIO(response.content))
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"].get("/Font", {}).values()}
    assert fonts and all("Noto-Sans-CJK-SC" in f for f in fonts), fonts

    en = world.supervisor.get(f"/api/inspections/{psi['id']}/report.pdf")
    text = pdf_text(en.content)
    for fact in ("PASS", "Broken stitch", "断线", "Accepted", "Major 2", "Minor 3"):
        assert fact in text, fact
    if shutil.which("pdftoppm"):  # look at them: tests/reports/output/report-{en,zh}-1.png
        for lang, pdf in (("en", en.content), ("zh", response.content)):
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "2", "-", str(OUTPUT / f"report-{lang}")],
                           input=pdf, check=True)


def test_staff_preview_a_draft_but_the_factory_gets_no_report_before_submission(world, psi) -> None:  # type: ignore[no-untyped-def]
    record(world, psi, submit=False)
    draft = world.merchandiser.get(f"/api/inspections/{psi['id']}/report")
    assert draft.status_code == 200 and "DRAFT" in draft.text
    assert "草稿" in world.inspector.get(f"/api/inspections/{psi['id']}/report?lang=zh").text
    for suffix in ("report", "report.pdf"):
        problem = assert_problem(world.factory_user.get(f"/api/inspections/{psi['id']}/{suffix}"), 404)
        assert problem["detail_zh"]


def test_the_factory_reads_the_report_once_submitted(world, psi) -> None:  # type: ignore[no-untyped-def]
    record(world, psi)
    response = world.factory_user.get(f"/api/inspections/{psi['id']}/report")
    assert response.status_code == 200
    assert str(psi["cartons"][0]["barcode"]) in response.text


def test_others_and_unknown_ids_get_404_and_a_bad_lang_400(world, psi) -> None:  # type: ignore[no-untyped-def]
    for suffix in ("report", "report.pdf"):
        assert_problem(world.other_inspector.get(f"/api/inspections/{psi['id']}/{suffix}"), 404)
        assert_problem(world.supervisor.get(f"/api/inspections/{uuid.uuid4()}/{suffix}"), 404)
        problem = assert_problem(world.supervisor.get(f"/api/inspections/{psi['id']}/{suffix}?lang=fr"), 400)
        assert "lang" in problem["detail"] and problem["detail_zh"]


def test_the_pdf_fetches_nothing_but_its_own_media() -> None:
    from api.reports.pdf import StorageFetcher

    fetcher = StorageFetcher({"/media/photos/x/display": b"jpeg"}, LocalStorage(Path("/nonexistent")))
    for url in ("http://127.0.0.1:8000/media/photos/x/display", "file:///etc/passwd",
                "https://report.floorcheck.invalid/media/photos/y/display",
                "https://evil.example/media/photos/x/display"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("https://report.floorcheck.invalid/media/photos/x/display").read() == b"jpeg"


def test_a_booked_inspection_with_nothing_recorded_yet_previews_as_a_draft(world) -> None:  # type: ignore[no-untyped-def]
    booking_id = str(uuid.uuid4())
    booked = world.supervisor.post(f"/api/orders/{world.orders[1]['id']}/inspections", json={
        "id": booking_id, "type": "in_process", "assignee_id": world.inspector.id})
    assert booked.status_code == 201, booked.text
    html = world.supervisor.get(f"/api/inspections/{booking_id}/report?lang=zh").text
    assert "草稿" in html and "中期验货" in html and "未记录缺陷" in html and "未签字" in html
    pdf = world.supervisor.get(f"/api/inspections/{booking_id}/report.pdf")
    assert pdf.status_code == 200 and "DRAFT" in pdf_text(pdf.content)
