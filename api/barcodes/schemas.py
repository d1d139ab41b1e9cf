from __future__ import annotations

from typing import Any

from api.schemas import Input, Output, text


# Parsed, never stored; bounded and without NUL like every string the API accepts.
GS1Text = text(500, min_length=1)


class ParseIn(Input):
    text: GS1Text


class ElementOut(Output):
    ai: str
    name: str
    value: Any


class ParseErrorOut(Output):
    code: str
    message: str
    message_zh: str
    ai: str | None = None


class ParseOut(Output):
    valid: bool
    elements: list[ElementOut]
    errors: list[ParseErrorOut]
    symbology_identifier: str | None = None


class BarcodeOut(Output):
    format: str
    text: str
    symbology_identifier: str | None
    gs1: ParseOut | None
    position: list[list[int]]
    engine: str


class DecodeOut(Output):
    barcodes: list[BarcodeOut]
    width: int
    height: int
    ms: float
