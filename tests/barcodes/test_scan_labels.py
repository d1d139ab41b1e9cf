"""Scanning a carton label that carries several codes, carton codes shared between orders, and what the
OpenAPI schema tells a client about the verdicts."""

from __future__ import annotations

import uuid

import zxingcpp

from api.barcodes import gs1
from tests.barcodes.test_barcodes_api import label_jpeg
from tests.helpers import sscc, upload_packing_list

Code128, EAN13 = zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.EAN13
TRACKING = "1Z88899K2324252627"  # a carrier's tracking code, on no packing list


def photo_scan(actor, psi, data: bytes):  # type: ignore[no-untyped-def]
    return actor.post(f"/api/inspections/{psi['id']}/scans", data={"id": str(uuid.uuid4())},
                      files={"image": ("label.jpg", data, "image/jpeg")})


def test_the_code_on_the_packing_list_wins_over_the_first_code_read(world, psi) -> None:  # type: ignore[no-untyped-def]
    carton = psi["cartons"][0]
    # the carrier's code is read first; the carton's SSCC is printed as plain Code 128 (no AI, no FNC1)
    response = photo_scan(world.inspector, psi, label_jpeg((Code128, TRACKING), (Code128, carton["barcode"])))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["verdict"] == "ok" and body["carton_number"] == carton["number"]
    assert body["text"] == carton["barcode"] and body["other_codes"] == [TRACKING]


def test_a_gtin_wins_over_a_code_that_means_nothing(world, psi) -> None:  # type: ignore[no-untyped-def]
    gtin13 = gs1.normalize_gtin(world.orders[0]["lines"][0]["gtin"])[1:]
    body = photo_scan(world.inspector, psi, label_jpeg((Code128, TRACKING), (EAN13, gtin13))).json()
    assert body["verdict"] == "ok" and body["sku"] == world.orders[0]["lines"][0]["sku"]
    assert body["text"].endswith(gtin13) and body["other_codes"] == [TRACKING]


def test_a_label_with_no_known_code_still_says_so_and_lists_what_it_read(world, psi) -> None:  # type: ignore[no-untyped-def]
    body = photo_scan(world.inspector, psi, label_jpeg((Code128, TRACKING), (Code128, "CA 859 2-37"))).json()
    assert body["verdict"] == "not_on_packing_list"
    assert sorted([body["text"], *body["other_codes"]]) == sorted([TRACKING, "CA 859 2-37"])


def test_a_typed_scan_has_no_other_codes(world, psi) -> None:  # type: ignore[no-untyped-def]
    body = world.inspector.post(f"/api/inspections/{psi['id']}/scans",
                                json={"id": str(uuid.uuid4()), "text": psi["cartons"][0]["barcode"]}).json()
    assert body["verdict"] == "ok" and body["other_codes"] == []


def test_a_code_on_this_order_and_on_another_is_judged_against_this_order(world, request) -> None:  # type: ignore[no-untyped-def]
    # PO-2's packing list is loaded first and uses the very same SSCCs as PO-1's (serials from 100)
    assert upload_packing_list(world.admin, world.orders[1]).status_code == 201
    psi = request.getfixturevalue("psi")
    carton = psi["cartons"][0]
    for text in (carton["barcode"], f"(00){carton['barcode']}"):
        body = world.supervisor.post(f"/api/inspections/{psi['id']}/scans",
                                     json={"id": str(uuid.uuid4()), "text": text}).json()
        assert body["verdict"] in {"ok", "already_scanned"}, body
        assert body["carton_number"] == carton["number"]
    # a code only on PO-2's (replaced) list is still another order's
    assert upload_packing_list(world.admin, world.orders[1], 9000).status_code in {200, 201}
    body = world.supervisor.post(f"/api/inspections/{psi['id']}/scans",
                                 json={"id": str(uuid.uuid4()), "text": sscc(9000)}).json()
    assert body["verdict"] == "other_order" and "PO-2" in body["message"], body


def test_the_schema_documents_every_verdict(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/inspections/{inspection_id}/scans"]["post"]
    verdict = schema["components"]["schemas"]["ScanOut"]["properties"]["verdict"]
    for text in (operation["description"], verdict["description"]):
        assert "201" in text
        for name in ("ok", "already_scanned", "not_selected", "not_on_packing_list", "other_order",
                     "bad_check_digit", "gtin_mismatch"):
            assert f"`{name}`" in text
    assert set(verdict["enum"]) == {"ok", "already_scanned", "not_selected", "not_on_packing_list", "other_order",
                                    "bad_check_digit", "gtin_mismatch"}
