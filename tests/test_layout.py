"""The shape of the code the issues ask for, checked so that it stays true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "api"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((API / "orders").glob("*.py")), ids=lambda p: p.name)
def test_orders_never_import_inspections(path: Path) -> None:
    assert not {m for m in imports(path) if m.startswith("api.inspections")}


@pytest.mark.parametrize("path", sorted(API.rglob("*.py")), ids=lambda p: str(p.relative_to(API)))
def test_services_do_not_commit(path: Path) -> None:
    """The request commits once (api/app.py); only the app, the auth middleware's renewal and migrations may."""
    if path.relative_to(API).as_posix() in {"app.py", "auth/guards.py", "migrations/env.py"}:
        return
    assert not re.search(r"session\.(commit|rollback)\(\)", path.read_text())


@pytest.mark.parametrize("path", sorted(API.rglob("*.py")), ids=lambda p: str(p.relative_to(API)))
def test_inspection_statuses_are_named_only_by_the_lifecycle(path: Path) -> None:
    if path.relative_to(API).as_posix() == "inspections/lifecycle.py":
        return
    # A dict key of the same word (the order's inspection state: {"submitted": True}) is not a status.
    assert not re.search(r"""["'](scheduled|in_progress|submitted|reviewed|aborted)["'](?!\s*:)""", path.read_text())
