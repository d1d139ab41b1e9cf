"""Domain errors, and the one place that turns every error into RFC 9457 problem+json."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin

log = logging.getLogger("floorcheck")


class DomainError(Exception):
    """Raised by services; carries what the person needs to act on, in English and 中文."""

    status = 400
    kind = "bad-request"

    def __init__(self, detail: str, *, detail_zh: str | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        self.headers = headers
        self.extra = extra


class Unauthorized(DomainError):
    status, kind = 401, "unauthorized"


class NotFound(DomainError):
    status, kind = 404, "not-found"


class Forbidden(DomainError):
    status, kind = 403, "forbidden"


class Conflict(DomainError):
    status, kind = 409, "conflict"


class Invalid(DomainError):
    """Well-formed input that breaks a business rule (422)."""

    status, kind = 422, "invalid"


class UnsupportedMedia(DomainError):
    status, kind = 415, "unsupported-media-type"


class TooLarge(DomainError):
    status, kind = 413, "too-large"


class TooManyRequests(DomainError):
    status, kind = 429, "too-many-requests"


class ServiceUnavailable(DomainError):
    status, kind = 503, "service-unavailable"


class BadParameter(DomainError):
    """A query or path parameter is wrong; `param` names it."""

    status, kind = 400, "bad-parameter"

    def __init__(self, param: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, param=param, **extra)


def _problem(status: int, detail: str, /, *, kind: str | None = None, headers: dict[str, str] | None = None,
             **extra: Any) -> ProblemDetailsException:
    phrase = HTTPStatus(status).phrase
    return ProblemDetailsException(
        status_code=status,
        type_=f"https://floorcheck.example/problems/{kind or phrase.lower().replace(' ', '-')}",
        title=phrase,
        detail=detail,
        headers=headers,
        extra={k: v for k, v in extra.items() if v is not None} or None,
    )


def _from_domain(exc: DomainError) -> ProblemDetailsException:
    return _problem(exc.status, exc.detail, kind=exc.kind, headers=exc.headers, detail_zh=exc.detail_zh, **exc.extra)


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        errors = [e for e in exc.extra if isinstance(e, dict)]
        detail = "; ".join(_describe(e) for e in errors) or str(exc.detail)
        return _problem(400, detail, kind="validation", errors=errors)
    detail = str(exc.detail)
    if exc.status_code == 413:
        detail = "The request body is larger than this endpoint accepts."
    elif exc.status_code == 405:
        detail = f"{detail}. Check the method against the API docs at /schema."
    return _problem(exc.status_code, detail, headers=exc.headers)


def _describe(error: dict[str, Any]) -> str:
    message, key = str(error.get("message", "invalid")), error.get("key")
    return f"{key}: {message}" if key and key not in message else message


def _from_unexpected(exc: Exception) -> ProblemDetailsException:
    log.exception("unhandled error", exc_info=exc)
    return _problem(500, "Something went wrong on the server. Nothing was saved; please try again.")


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                DomainError: _from_domain,
                HTTPException: _from_http,
                Exception: _from_unexpected,
            }
        )
    )


__all__ = [
    "BadParameter", "Conflict", "DomainError", "Forbidden", "Invalid", "NotFound", "TooLarge",
    "ServiceUnavailable", "TooManyRequests", "Unauthorized", "UnsupportedMedia", "problem_details_plugin",
]
