"""Base Structs shared by every area's schemas."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


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
