"""Domain errors, and the one place that turns every error into RFC 9457 problem+json."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("floorcheck")


class DomainError(Exception):
    """Raised by services; carries what the person needs to act on, in English and 中文."""

    status = 400
    kind = "bad-request"

    def __init__(self, detail: str, *, detail_zh: str | None = None, headers: dict[str, str] | None = None,
                 keep_changes: bool = False, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        self.headers = headers
        # Most errors undo the request's writes; a few answers must still be remembered (a failed login).
        self.keep_changes = keep_changes
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


# What the framework's own refusals say in 中文 (their English detail is the framework's, or set below).
_HTTP_ZH = {
    400: "请求无效：{detail}", 401: "请先登录，或会话已结束，请重新登录。", 403: "您的角色无权执行此操作。",
    404: "找不到该地址。", 405: "该地址不支持此请求方法，请查阅 /schema 的接口文档。",
    413: "请求体超过此接口允许的大小。", 415: "不支持该请求内容类型。", 429: "请求过于频繁，请稍后再试。",
}


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        errors = [e for e in exc.extra if isinstance(e, dict)]
        if any(_body_missing(e) for e in errors):
            return _problem(400, MISSING_BODY, kind="validation", errors=errors, detail_zh=MISSING_BODY_ZH)
        detail = "; ".join(_describe(e) for e in errors) or str(exc.detail)
        detail_zh = "；".join(_describe(e, zh=True) for e in errors) or detail
        # The field names and the validator's words stay as they are (but for a few made readable): they name
        # what to fix.
        return _problem(400, detail, kind="validation", errors=errors, detail_zh=f"请求内容有误：{detail_zh}")
    if exc.status_code == 500:
        # The framework's own 500s (a misconfiguration) are the server's fault: logged, and their words not shown.
        return _from_unexpected(exc)
    detail = str(exc.detail)
    if exc.status_code == 413:
        detail = "The request body is larger than this endpoint accepts."
    elif exc.status_code == 405:
        detail = f"{detail}. Check the method against the API docs at /schema."
    detail_zh = _HTTP_ZH.get(exc.status_code, "请求未能完成：{detail}").format(detail=detail)
    return _problem(exc.status_code, detail, headers=exc.headers, detail_zh=detail_zh)


MISSING_BODY = "The request body is missing: send a JSON object."
MISSING_BODY_ZH = "缺少请求体：请发送 JSON 对象。"
# msgspec's words for a string that breaks api/schemas.py NO_NUL, and what they mean.
_NUL_PATTERN = re.compile(r"^Expected `str` matching regex '\^\[\^\\+x00\]\*\$'$")
_NUL_MESSAGE = ("must not contain a NUL character", "不得包含 NUL 字符")


def _body_missing(error: dict[str, Any]) -> bool:
    """Litestar's error for a route that takes a body and got none: the `data` argument is missing."""
    return error.get("key") == "data" and error.get("message") == "'data'"


def _describe(error: dict[str, Any], *, zh: bool = False) -> str:
    message, key = str(error.get("message", "invalid")), error.get("key")
    if _NUL_PATTERN.match(message):
        message = _NUL_MESSAGE[zh]
        return f"{key}{'：' if zh else ': '}{message}" if key else message
    return f"{key}: {message}" if key and key not in message else message


# SQLite "database is locked" after busy_timeout; PostgreSQL serialization failure, deadlock, lock timeout.
_BUSY_SQLSTATES = {"40001", "40P01", "55P03"}


def _is_busy(exc: DBAPIError) -> bool:
    orig = exc.orig
    if "database is locked" in str(orig) or "database table is locked" in str(orig):
        return True
    return getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES or getattr(orig, "pgcode", None) in _BUSY_SQLSTATES


def _from_database(exc: DBAPIError) -> ProblemDetailsException:
    if _is_busy(exc):
        # Nothing was written: the transaction rolled back. The phone's outbox retries after Retry-After.
        return _from_domain(ServiceUnavailable(
            "The database is busy with other writes. Nothing was saved; try again in a moment.",
            detail_zh="数据库正忙，未保存任何内容，请稍后重试。", headers={"Retry-After": "1"}))
    return _from_unexpected(exc)


TOO_DEEP = "The JSON body is nested too deeply."
TOO_DEEP_ZH = "JSON 请求体嵌套层数过多。"


def _nested_too_deeply(exc: Exception) -> bool:
    """msgspec decodes JSON (the request body) recursively, with Python's recursion limit: a body nested
    deeper (`[[[[…]]]]`, about 1,000 levels) stops it with this RecursionError, before anything is done."""
    return isinstance(exc, RecursionError) and "while deserializing" in str(exc)


def _from_unexpected(exc: Exception) -> ProblemDetailsException:
    if _nested_too_deeply(exc):
        return _problem(400, TOO_DEEP, kind="validation", detail_zh=TOO_DEEP_ZH)
    log.exception("unhandled error", exc_info=exc)
    return _problem(500, "Something went wrong on the server. Nothing was saved; please try again.",
                    detail_zh="服务器出错，未保存任何内容，请重试。")


def problem_body(exc: Exception) -> dict[str, Any]:
    """The problem+json body the app answers for `exc`, for answers inside a response (a push's results)."""
    if isinstance(exc, DomainError):
        problem = _from_domain(exc)
    elif isinstance(exc, HTTPException):
        problem = _from_http(exc)
    elif isinstance(exc, DBAPIError):
        problem = _from_database(exc)
    else:
        problem = _from_unexpected(exc)
    body: dict[str, Any] = {"status": problem.status_code, "type": problem.type_, "title": problem.title,
                            "detail": problem.detail}
    if isinstance(problem.extra, dict):
        body.update(problem.extra)
    elif problem.extra:
        body["extra"] = problem.extra
    return body


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                DomainError: _from_domain,
                HTTPException: _from_http,
                DBAPIError: _from_database,
                Exception: _from_unexpected,
            }
        )
    )


__all__ = [
    "BadParameter", "Conflict", "DomainError", "Forbidden", "Invalid", "NotFound", "TooLarge",
    "ServiceUnavailable", "TooManyRequests", "Unauthorized", "UnsupportedMedia", "problem_body",
    "problem_details_plugin",
]
