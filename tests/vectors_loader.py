"""The shared test vectors in tests/vectors/ (see its README): one loader, so that the Python tests
read the files exactly as the phone app's JavaScript tests do, as plain JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).parent / "vectors"


def load_vectors(name: str) -> dict[str, Any]:
    """The vector file ``tests/vectors/<name>.json``."""
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def params(cases: Iterable[dict[str, Any]], ident: Callable[[dict[str, Any]], str]) -> list[Any]:
    """One pytest param per case, each case passed whole, with the id ``ident`` gives it."""
    return [pytest.param(case, id=ident(case)) for case in cases]
