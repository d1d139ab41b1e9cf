"""Base Structs shared by every area's schemas."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

# PostgreSQL cannot store a NUL character in text (SQLite can): refuse it in every string the API accepts, so
# both databases give the same 400 and the schema says so.
NO_NUL = r"^[^\x00]*$"
# 32-bit signed integer columns: a larger value is a 400 here, not an overflow in the database.
INT32_MAX = 2_147_483_647


def text(max_length: int, min_length: int = 0, **meta: object) -> Any:
    """A string field: its length as the column allows, and no NUL character."""
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length, pattern=NO_NUL, **meta)]


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown fields are refused, so a typo never passes silently."""


class Output(msgspec.Struct, kw_only=True):
    """A response body."""


class Page(Output, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def changes(patch: msgspec.Struct, *, skip: tuple[str, ...] = ()) -> dict[str, object]:
    """The fields a PATCH body actually sent (UNSET means "leave as it is")."""
    return {
        name: value
        for name in patch.__struct_fields__
        if name not in skip and (value := getattr(patch, name)) is not msgspec.UNSET
    }
