"""The contract in /schema: what every operation can answer besides success, in one place.

Litestar documents each operation's success from its handler. The errors a route can answer follow from what
the route is, so they are derived here from the app's route handlers when the document is built, and no
controller lists them:

| status | the route …                                                                                    |
| ------ | ---------------------------------------------------------------------------------------------- |
| 400    | takes a body or parameters: they are validated (`errors` lists each problem, `param` names one) |
| 401    | is not public                                                                                  |
| 403    | has guards, or writes (role rules; a cookie-authenticated write from another site's page)       |
| 404    | has path parameters: a record that does not exist, or that the user may not see                |
| 409    | writes a record: PUT, PATCH, DELETE, or a POST to a record's path or with a client `id`/`version` |
| 413    | accepts a body (POST, PUT, PATCH), up to the route's limit (`x-max-body-bytes`)                 |
| 415    | accepts a body: JSON routes refuse other types, uploads refuse unknown formats                 |
| 422    | writes with a body: business rules                                                              |
| 503    | writes (a wait for SQLite's write lock, a PostgreSQL serialization failure), with `Retry-After` |

Login also answers 401 (wrong credentials) and 429 (too many failures, with `Retry-After`).

`EXTRA` and `NEVER` list the few operations whose answers these rules cannot see. Every error is
`application/problem+json` with the `ProblemDetails` schema (api/errors.py makes them). Public operations have
`security: []`. Success answers the handler types cannot show are added too: 200 and 201 for the routes that answer
with `api.http.created`, the photo files' types and their 304, and the raw bodies of the upload routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI
from litestar.routes import HTTPRoute
from litestar.utils.helpers import unwrap_partial

from api import http
from api.inspections.schemas import ScanIn
from api.media.processing import FORMATS
from api.media.services import RENDITIONS
from api.orders.schemas import ImportReason
from api.settings import Settings

PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/ProblemDetails"
WRITES = frozenset({"post", "put", "patch", "delete"})
BODY_METHODS = frozenset({"post", "put", "patch"})

# Answers the rules above cannot see, by operation id.
EXTRA: dict[str, set[int]] = {
    "health": {503},  # the database cannot be reached
    "login": {401, 429},  # wrong credentials; too many failed logins for the account from this address
    "lookupCarton": {404},  # no carton with that code on an order the user can see
    "getPhotoImage": {403, 304},  # originals are for supervisors and admins; If-None-Match
    # Unique keys chosen by people, not client ids.
    "createUser": {409}, "createCustomer": {409}, "createFactory": {409}, "createOrder": {409},
}
# Answers the rules would add but that cannot happen: routes that never touch the database (no 503), and a pure
# computation that applies no business rule (its findings are its answer).
NEVER: dict[str, set[int]] = {
    "parseGs1": {422, 503},
    "decodeBarcodes": {503},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, with `detail` in English and `detail_zh` in 简体中文. The optional "
                   "members say more where the problem has it; others may be added.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong and what to do, in English."},
        "detail_zh": {"type": "string", "description": "The same in 简体中文."},
        "errors": {"type": "array", "items": {"type": "object"},
                   "description": "Each validation problem (`message`, `key`, `source`), or each problem of an "
                                  "imported file (`row`, `column`, `message`, `message_zh`; `stated` and "
                                  "`computed` for a total row that disagrees; `kind` \"unknown_colour\" with "
                                  "`value`, the colour as the file writes it, which can become one of the "
                                  "customer's colour aliases)."},
        "error_count": {"type": "integer", "description": "How many problems the file has (`errors` lists the "
                                                          "first ones)."},
        "field": {"type": "string", "description": "The body field the problem is about."},
        "param": {"type": "string", "description": "The query or path parameter the problem is about."},
        "line": {"type": "integer", "description": "The index of the order line the problem is about."},
        "current": {"description": "409: the server's copy of the record, to compare and base a new edit on."},
        "current_version": {"type": "integer", "description": "409: the server's version of the record."},
        "deleted": {"type": "boolean", "description": "409: the record was deleted on the server."},
        "inspection_status": {"type": "string", "description": "409: the inspection's status that forbids the "
                                                               "change."},
        "answer_id": {"type": "string", "format": "uuid", "description": "409: the answer to edit instead."},
        "code": {"type": "string", "description": "The code that was looked up."},
        "cartons": {"type": "array", "items": {"type": "integer"},
                    "description": "422: picked cartons neither scanned nor excused."},
        "missing": {"type": "array", "items": {"type": "string"}, "description": "422: the signatures missing."},
        "result": {"type": "object", "description": "422: the inspection's live result."},
        "kinds": {"type": "array", "items": {"type": "string"}, "description": "The operation kinds a push takes."},
        "max_operations": {"type": "integer", "description": "413: how many operations a push may hold."},
    },
    "additionalProperties": True,
}

RETRY_AFTER = {"description": "Seconds to wait before trying again.", "required": False,
               "schema": {"type": "integer", "minimum": 0}}
BINARY = {"type": "string", "format": "binary"}
# A form field's UUID (`format` alone is an annotation that validators and generators may ignore).
UUID_PATTERN = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class Route:
    """What the contract needs to know about one operation."""

    operation_id: str
    method: str  # lower case, as in the document
    public: bool
    guarded: bool
    path_params: bool
    params: bool
    body: bool
    body_fields: frozenset[str]
    body_limit: int | None
    answers_created: bool

    @property
    def write(self) -> bool:
        return self.method in WRITES

    def errors(self) -> set[int]:
        statuses: set[int] = set()
        if self.body or self.params:
            statuses.add(400)
        if not self.public:
            statuses.add(401)
        if self.guarded or (self.write and not self.public):
            statuses.add(403)
        if self.path_params:
            statuses.add(404)
        if self.write and not self.public and (
                self.method != "post" or self.path_params or {"id", "version"} & self.body_fields):
            statuses.add(409)
        if self.method in BODY_METHODS:
            statuses |= {413, 415}
        if self.write and self.body and not self.public:
            statuses.add(422)
        if self.write:
            statuses.add(503)
        return (statuses | EXTRA.get(self.operation_id, set())) - NEVER.get(self.operation_id, set())


def describe(status: int, route: Route) -> str:
    if status == 401 and route.public:
        return "Wrong username or password, or the account is not active."
    if status == 413:
        return (f"The body is larger than this route accepts ({route.body_limit:,} bytes)."
                if route.body_limit else "The body is larger than this route accepts.")
    if status == 503 and route.operation_id == "health":
        return "The database cannot be reached."
    return DESCRIPTIONS[status]


DESCRIPTIONS = {
    304: "Not modified: the photo's ETag matches If-None-Match.",
    400: "The request does not validate: `errors` lists each problem with its `key`, `param` names a bad query "
         "parameter.",
    401: "No valid Bearer token or session cookie: log in with POST /api/auth/login.",
    403: "The user's role may not do this, or a cookie-authenticated write came from another site's page.",
    404: "No such record, or one the user may not see (the same answer either way).",
    409: "The record changed on the server since the `version` this edit was based on, was deleted, its id is "
         "taken by another record, or its state forbids the change (a submitted inspection): `current` holds the "
         "server's copy where there is one.",
    415: "The body's Content-Type (or an upload's format) is not one this route accepts.",
    422: "Well-formed input that breaks a business rule; `field` names the field where there is one.",
    429: "Too many failed logins for this account (from this address, or from all of them): wait `Retry-After` "
         "seconds.",
    503: "The database is busy with other writes (or could not serialize this one): nothing was saved; try again "
         "after `Retry-After` seconds.",
}


def problem_response(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}}}
    if retry_after:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def _answers_created(handler: HTTPRouteHandler) -> bool:
    """Whether the handler answers through `api.http.created` (201 for a new record, 200 for a replay or an edit)."""
    fn = unwrap_partial(handler.fn)
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    return code is not None and any(fn.__globals__.get(name) is http.created for name in code.co_names)


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                found[(route.path_format or "/", method.lower())] = handler
    return found


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> frozenset[str]:
    names: set[str] = set()
    for media in (operation.get("requestBody") or {}).get("content", {}).values():
        schema = media.get("schema") or {}
        if ref := schema.get("$ref"):
            schema = document.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        names |= set(schema.get("properties", {}))
    return frozenset(names)


def _raw_bodies(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The bodies of the routes that read the request themselves (`opt={"body": "raw"}`)."""
    scan_schemas, scan_components = msgspec.json.schema_components([ScanIn], ref_template="#/components/schemas/{name}")
    document.setdefault("components", {}).setdefault("schemas", {}).update(
        {name: schema for name, schema in scan_components.items() if name not in document["components"]["schemas"]})
    return {
        "uploadPhoto": {"required": True, "description": "The image file itself; its type is read from its bytes.",
                        "content": {media: {"schema": BINARY} for media in FORMATS.values()}},
        "recordScan": {"required": True, "content": {
            "application/json": {"schema": scan_schemas[0]},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["id", "image"],
                "properties": {"id": {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}, "image": BINARY}}},
        }},
    }


# The types of the files in multipart bodies, by operation and part.
PHOTO_TYPES = ", ".join(FORMATS.values())
PART_TYPES: dict[str, dict[str, str]] = {
    "decodeBarcodes": {"image": PHOTO_TYPES},
    "recordScan": {"image": PHOTO_TYPES},
    "importPackingList": {"file": "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, "
                                  "application/vnd.ms-excel"},
}


def _part_types(operation_id: str, operation: dict[str, Any]) -> None:
    multipart = (operation.get("requestBody") or {}).get("content", {}).get("multipart/form-data")
    if multipart is not None and operation_id in PART_TYPES:
        multipart["encoding"] = {part: {"contentType": types} for part, types in PART_TYPES[operation_id].items()}


def _image_responses(operation: dict[str, Any]) -> None:
    """The photo files: the display JPEG, the WebP thumbnail or the original in its own format."""
    ok = operation["responses"].get("200")
    if ok is not None:
        types = dict.fromkeys([*RENDITIONS.values(), *FORMATS.values()])
        ok["content"] = {media: {"schema": BINARY} for media in types}


def _request_structs() -> dict[str, type[msgspec.Struct]]:
    """The app's request Structs (api/schemas.py Input: unknown fields refused), by name where it is unique."""
    seen: dict[str, list[type[msgspec.Struct]]] = {}
    stack: list[type] = [msgspec.Struct]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("api.") and cls not in seen.get(cls.__name__, []):
            seen.setdefault(cls.__name__, []).append(cls)
    return {name: classes[0] for name, classes in seen.items()
            if len(classes) == 1 and classes[0].__struct_config__.forbid_unknown_fields}


# The text parts of multipart forms (dataclasses, whose constraints Litestar's schema leaves out), as msgspec
# states the types their values are converted to.
FORM_TEXT_PARTS = {"PackingListUpload": {"reason": ImportReason}}


def _form_parts(components: dict[str, Any]) -> None:
    for name, parts in FORM_TEXT_PARTS.items():
        if name in components:
            for part, annotation in parts.items():
                components[name]["properties"][part] = msgspec.json.schema(annotation)


def _request_schemas(components: dict[str, Any]) -> None:
    """The request bodies' schemas as msgspec, which validates them, states them.

    Litestar's translation loses some constraints: those of a member of a union (`quantity: Quantity | UnsetType`
    lost its minimum), of a dict's keys and values (lengths, NUL), and that unknown fields are refused. The schemas
    are regenerated here; the nested ones msgspec adds are kept unless Litestar has one of that name already.
    """
    structs = {name: cls for name, cls in _request_structs().items() if name in components}
    if not structs:
        return
    _, generated = msgspec.json.schema_components(list(structs.values()),
                                                  ref_template="#/components/schemas/{name}")
    for name, component in generated.items():
        if name in structs or name not in components:
            components[name] = component


def document(schema: dict[str, Any], app: Litestar, settings: Settings, public_paths: Iterable[str]) -> dict[str, Any]:
    """Add to Litestar's document (as a dict) what the contract says; returns it."""
    handlers = _handlers(app)
    public_patterns = [re.compile(p) for p in public_paths]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _request_schemas(components)
    _form_parts(components)
    components["ProblemDetails"] = PROBLEM_SCHEMA
    raw_bodies = _raw_bodies(schema)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            handler = handlers.get((path, method))
            if handler is None or not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation_id = operation.get("operationId", f"{method} {path}")
            if operation_id in raw_bodies and "requestBody" not in operation:
                operation["requestBody"] = raw_bodies[operation_id]
            _part_types(operation_id, operation)
            public = bool(handler.opt.get("exclude_from_auth")) or any(p.search(path) for p in public_patterns)
            parameters = operation.get("parameters") or []
            limit = handler.resolve_request_max_body_size() if method in BODY_METHODS else None
            route = Route(
                operation_id=operation_id, method=method, public=public, guarded=bool(handler.resolve_guards()),
                path_params=any(p.get("in") == "path" for p in parameters), params=bool(parameters),
                body="requestBody" in operation, body_fields=_body_fields(schema, operation), body_limit=limit,
                answers_created=_answers_created(handler),
            )
            responses: dict[str, Any] = operation["responses"]
            # Litestar's own 400 describes its default error body, which this app does not send.
            responses.pop("400", None)
            _success(responses, route)
            if operation_id == "getPhotoImage":
                _image_responses(operation)
            for status in sorted(route.errors()):
                if status == 304:
                    responses["304"] = {"description": DESCRIPTIONS[304]}
                else:
                    responses[str(status)] = problem_response(describe(status, route),
                                                              retry_after=status in (429, 503))
            operation["responses"] = dict(sorted(responses.items()))
            if public:
                operation["security"] = []
            if limit:
                operation["x-max-body-bytes"] = limit
    schema.setdefault("info", {})["x-limits"] = {
        "max_body_bytes": settings.max_body_bytes, "max_import_bytes": settings.max_import_bytes,
        "max_photo_bytes": settings.max_photo_bytes, "max_image_pixels": settings.max_image_pixels,
    }
    schema["info"]["description"] = (
        "Shop-floor quality inspection. Every error is `application/problem+json` (ProblemDetails), with `detail` "
        "in English and `detail_zh` in 简体中文. Everything needs a Bearer token (or the session cookie) except the "
        "operations marked with no security. Request bodies: at most "
        f"{settings.max_body_bytes:,} bytes (JSON), {settings.max_import_bytes:,} bytes for a packing-list import, "
        f"{settings.max_photo_bytes:,} bytes for a photo (and {settings.max_image_pixels:,} pixels); each operation's "
        "limit is its `x-max-body-bytes`. Field lengths and ranges are in the schemas.")
    return schema


def _success(responses: dict[str, Any], route: Route) -> None:
    if "204" in responses:
        responses["204"].pop("content", None)  # a 204 has no body
    if route.answers_created:
        # 201 for the first write of a client-made record, 200 for a replay or an edit.
        first = responses.get("201") or responses.get("200")
        if first is not None:
            responses["200"] = {**first, "description": "A replay of the same write, or an edit: the stored record."}
            responses["201"] = {**first, "description": "The record was created."}


@dataclass
class ContractOpenAPIConfig(OpenAPIConfig):
    """An OpenAPIConfig whose document carries the contract (see the module docstring).

    The document is built by Litestar on the first request for it; `bind` gives it the app whose routes it
    describes.
    """

    settings: Settings = field(default_factory=Settings)
    public_paths: tuple[str, ...] = ()

    def bind(self, app: Litestar) -> None:
        self._app = app

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        contract = _ContractOpenAPI(**{f.name: getattr(base, f.name) for f in fields(base)})
        contract._config = self
        return contract


@dataclass
class _ContractOpenAPI(OpenAPI):
    """Litestar fills in the paths and components after making this object; `to_schema` then adds the contract."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        config: ContractOpenAPIConfig = self._config  # type: ignore[attr-defined]
        return document(schema, config._app, config.settings, config.public_paths)


__all__ = ["ContractOpenAPIConfig", "PROBLEM", "PROBLEM_SCHEMA", "document"]
