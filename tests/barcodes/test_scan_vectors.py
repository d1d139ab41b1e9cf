"""The scan verdicts of tests/vectors/scan_verdicts.json, through the API: the phone judges the same cases offline
(static/pwa/js/logic/cartons.js, checked in tests/pwa/test_logic.py) and must agree with what is checked here.

Each case gets its own orders, packing lists and inspection; its picks are set in the database, since a draw is
random. A label's codes come from a stand-in decoder, so the server's choice among them is checked without
depending on how a photo decodes.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select

from api.barcodes import gs1, services
from api.barcodes.decoding import Barcode, DecodeResult
from api.inspections.models import InspectionCarton
from api.orders.models import Carton, Order
from tests.helpers import in_db
from tests.vectors_loader import load_vectors, params

VECTORS = load_vectors("scan_verdicts")
RETAIL = {"EAN13", "EAN8", "UPCA", "UPCE", "ITF"}


def packing_csv(order: dict[str, Any]) -> bytes:
    rows = ["Carton No.,Barcode,SKU,Qty"]
    for carton in order["cartons"]:
        first, *more = carton["items"]
        rows.append(f"{carton['number']},{carton['barcode']},{first['sku']},{first['quantity']}")
        rows += [f",,{item['sku']},{item['quantity']}" for item in more]  # an assorted carton
    return ("\n".join(rows) + "\n").encode()


def decoded(codes: list[dict[str, Any]]) -> DecodeResult:
    """What the decoder would report for these codes: GS1 symbols and retail codes come with their GS1 reading."""
    barcodes = []
    for code in codes:
        sym = code["symbology_identifier"]
        if sym in gs1.GS1_SYMBOLOGY_IDENTIFIERS:
            reading = gs1.parse(code["text"], symbology_identifier=sym).to_dict()
        else:
            reading = gs1.parse(code["text"]).to_dict() if code["format"] in RETAIL else None
        barcodes.append(Barcode(code["format"], code["text"], sym, reading, [], "test"))
    return DecodeResult(barcodes, 800, 600, 1.0)


def set_picks(url: str, inspection_id: str, order_id: str, numbers: list[int]) -> None:
    async def work(session: Any) -> None:
        await session.execute(delete(InspectionCarton).where(InspectionCarton.inspection_id == uuid.UUID(inspection_id)))
        cartons = {c.number: c for c in await session.scalars(select(Carton).join(Order).where(
            Order.id == uuid.UUID(order_id), Carton.is_current))}
        session.add_all(InspectionCarton(id=uuid.uuid4(), inspection_id=uuid.UUID(inspection_id), carton_id=cartons[n].id,
                                         position=i, reason="random") for i, n in enumerate(numbers))

    in_db(url, work)


@pytest.fixture
def floor(admin, make_actor):  # type: ignore[no-untyped-def]
    """The vectors' orders with their packing lists; an inspector holds an inspection of every visible one."""
    customer = admin.post("/api/customers", json={"code": "VEC", "name": "Vector Customer"}).json()
    factory = admin.post("/api/factories", json={"code": "VECF", "name": "Vector Factory"}).json()
    supervisor, inspector = make_actor("supervisor"), make_actor("inspector")
    orders = {}
    for order in VECTORS["orders"]:
        lines = [{"sku": line["sku"], "colour": line["colour"], "size": line["size"], "gtin": line["gtin"],
                  "quantity": 120} for line in order["lines"]]
        created = admin.post("/api/orders", json={
            "customer_id": customer["id"], "factory_id": factory["id"], "po_number": order["po_number"],
            "style_number": f"ST-{order['po_number']}", "lines": lines})
        assert created.status_code == 201, created.text
        uploaded = admin.post(f"/api/orders/{created.json()['id']}/packing-list",
                              files={"file": ("list.csv", packing_csv(order), "text/csv")})
        assert uploaded.status_code == 201, uploaded.text
        orders[order["po_number"]] = created.json()
    return supervisor, inspector, orders


def book(supervisor, inspector, order: dict[str, Any], kind: str) -> str:  # type: ignore[no-untyped-def]
    booking_id = str(uuid.uuid4())
    booked = supervisor.post(f"/api/orders/{order['id']}/inspections",
                             json={"id": booking_id, "type": kind, "assignee_id": inspector.id})
    assert booked.status_code == 201, booked.text
    return booking_id


@pytest.mark.parametrize("case", params(VECTORS["cases"], lambda c: c["name"]))
def test_scan_verdicts(case, floor, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    supervisor, inspector, orders = floor
    order = orders[case["order"]]
    for vector_order in VECTORS["orders"]:
        if vector_order["visible"] and vector_order["po_number"] != case["order"]:
            book(supervisor, inspector, orders[vector_order["po_number"]], "in_process")
    inspection_id = book(supervisor, inspector, order, "pre_shipment")
    started = inspector.put(f"/api/inspections/{inspection_id}",
                            json={"order_id": order["id"], "type": "pre_shipment", "version": 1})
    assert started.status_code == 200, started.text
    set_picks(settings.database_url, inspection_id, order["id"], case["picked"])
    path = f"/api/inspections/{inspection_id}/scans"
    for number, step in enumerate(case["steps"], 1):
        scan_id = str(uuid.uuid4())
        if "scan" in step:
            response = inspector.post(path, json={"id": scan_id, "text": step["scan"]})
        else:
            result = decoded(step["label"])

            async def fake_decode(_data: bytes, _max_pixels: int, result: DecodeResult = result) -> DecodeResult:
                return result

            monkeypatch.setattr(services, "decode_photo", fake_decode)
            response = inspector.post(path, data={"id": scan_id}, files={"image": ("label.jpg", b"\xff\xd8", "image/jpeg")})
        where = f"step {number}: {step.get('scan', step.get('label'))!r}"
        if step["expect"] is None:
            assert response.status_code == 422, f"{where}: {response.text}"
            continue
        assert response.status_code == 201, f"{where}: {response.text}"
        body, want = response.json(), step["expect"]
        got = {"verdict": body["verdict"], "carton_number": body["carton_number"], "sku": body["sku"],
               "code": body["text"], "other_codes": body["other_codes"], "message": body["message"],
               "message_zh": body["message_zh"]}
        assert got == {k: v for k, v in want.items() if k != "provisional"}, where


def test_every_verdict_is_covered() -> None:
    verdicts = {step["expect"]["verdict"] for case in VECTORS["cases"] for step in case["steps"] if step["expect"]}
    assert verdicts == set(services.MESSAGES) - {"ok_unit"}
    keys = {"ok_unit" if s["expect"]["verdict"] == "ok" and s["expect"]["carton_number"] is None else s["expect"]["verdict"]
            for case in VECTORS["cases"] for s in case["steps"] if s["expect"]}
    assert keys == set(services.MESSAGES)
    assert any(len(s.get("label", [])) > 1 for case in VECTORS["cases"] for s in case["steps"])
