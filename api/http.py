"""Small pieces every area's controllers share."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response
from litestar.params import QueryParameter

from api.schemas import NO_NUL

PageNo = Annotated[int, QueryParameter(ge=1, le=100_000)]
PerPage = Annotated[int, QueryParameter(ge=1, le=200)]


def query_text(max_length: int, min_length: int = 0) -> Any:
    """A text query parameter: bounded, and without the NUL character PostgreSQL cannot compare."""
    return Annotated[str, QueryParameter(min_length=min_length, max_length=max_length, pattern=NO_NUL)]


def optional_query_text(max_length: int, min_length: int = 0) -> Any:
    """The same, for a parameter that may be left out (default None). `query_text(...) | None` would show its
    bounds in the schema, but Litestar checks no bounds inside a union."""
    return Annotated[str | None, QueryParameter(min_length=min_length, max_length=max_length, pattern=NO_NUL)]


def created(body: Any, is_new: bool) -> Response[Any]:
    """201 for the first write of a client-made record, 200 for a replay or an edit."""
    return Response(body, status_code=201 if is_new else 200)
