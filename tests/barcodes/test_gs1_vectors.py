"""GS1 element strings: the cases of tests/vectors/gs1_parse.json, shared with the phone app's tests
(static/pwa/js/logic/gs1.js, checked in tests/pwa/test_logic.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from api.barcodes import gs1
from tests.vectors_loader import load_vectors, params

VECTORS = load_vectors("gs1_parse")


def parse(case: dict) -> gs1.ParseResult:
    today = dt.date.fromisoformat(case.get("today", VECTORS["today"]))
    return gs1.parse(case["text"], today=today, symbology_identifier=case.get("symbology_identifier_argument"))


@pytest.mark.parametrize("case", params(VECTORS["parses"], lambda c: repr(c["text"])))
def test_parse(case: dict) -> None:
    result = parse(case)
    assert result.valid is case["valid"]
    assert result.symbology_identifier == case["symbology_identifier"]
    assert [{"ai": e.ai, "value": e.value, "unit": e.unit} for e in result.elements] == case["elements"]
    assert [e.code for e in result.errors] == case["errors"]


@pytest.mark.parametrize("case", params(VECTORS["errors"], lambda c: repr(c["text"])))
def test_errors(case: dict) -> None:
    result = parse(case)
    assert not result.valid
    assert [e.code for e in result.errors] == case["errors"]
    assert (result.errors[0].ai, result.errors[0].position) == (case["ai"], case["position"])


@pytest.mark.parametrize("case", params(VECTORS["messages"], lambda c: repr(c["text"])))
def test_messages(case: dict) -> None:
    first = parse(case).errors[0]
    assert (first.message, first.message_zh) == (case["message"], case["message_zh"])


@pytest.mark.parametrize("case", params(VECTORS["sscc_from_text"], lambda c: repr(c["text"])))
def test_sscc_from_text(case: dict) -> None:
    assert gs1.sscc_from_text(case["text"]) == case["sscc"]
