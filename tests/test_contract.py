"""The contract in /schema (api/openapi.py) and the answers it promises: every error documented as problem+json,
the public operations, the body limits; a missing body and a NUL character said in words; deep JSON refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.exceptions import InternalServerException
from litestar.testing import TestClient

from api.app import create_app
from api.errors import problem_body
from api.settings import Settings
from tests.helpers import PROBLEM, assert_problem

WRITES = {"post", "put", "patch", "delete"}
PUBLIC = {"health", "login"}
SETTINGS = Settings(database_url="sqlite+aiosqlite:///:memory:", max_body_bytes=1_000_000,
                    max_import_bytes=20_000_000, max_photo_bytes=25_000_000)


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    """The document as /schema/openapi.json serves it (no request of these tests reaches the database)."""
    with TestClient(create_app(SETTINGS)) as client:
        response = client.get("/schema/openapi.json")
        assert response.status_code == 200
        yield response.json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield path, method, operation


def test_every_operation_but_the_public_ones_documents_401(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if operation["operationId"] not in PUBLIC:
            assert "401" in operation["responses"], (method, path)
            assert "security" not in operation, (method, path)  # the document's: a Bearer token


def test_health_and_login_are_public(document: dict[str, Any]) -> None:
    assert document["security"] == [{"bearer": []}]
    public = {operation["operationId"]: operation for _, _, operation in operations(document)
              if operation.get("security") == []}
    assert set(public) == PUBLIC
    assert "401" not in public["health"]["responses"]
    assert {"401", "429"} <= set(public["login"]["responses"])  # wrong credentials; too many failures


def test_every_write_documents_503_with_retry_after(document: dict[str, Any]) -> None:
    writes = [(path, method, operation) for path, method, operation in operations(document) if method in WRITES]
    assert len(writes) > 30
    for path, method, operation in writes:
        if operation["operationId"] in {"parseGs1", "decodeBarcodes"}:
            assert "503" not in operation["responses"]  # computations: no database
            continue
        busy = operation["responses"].get("503")
        assert busy, (method, path)
        assert "Retry-After" in busy["headers"], (method, path)


def test_every_error_is_problem_json(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert {"detail_zh", "errors", "field", "param", "current"} <= set(problem["properties"])
    statuses: set[str] = set()
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                statuses.add(status)
                assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}, (
                    method, path, status)
                assert response["description"], (method, path, status)
    assert statuses == {"400", "401", "403", "404", "409", "413", "415", "422", "429", "503"}


def test_the_statuses_follow_from_the_route(document: dict[str, Any]) -> None:
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}

    def statuses(operation_id: str) -> set[int]:
        return {int(s) for s in by_id[operation_id]["responses"]}

    assert statuses("listCustomers") == {200, 401}
    assert statuses("getOrder") == {200, 400, 401, 404}
    assert statuses("listUsers") == {200, 401, 403}  # guarded
    assert statuses("createCustomer") == {201, 400, 401, 403, 409, 413, 415, 422, 503}
    assert statuses("deleteOrder") == {204, 400, 401, 403, 404, 409, 503}
    # Client-made records: 201 the first time, 200 for a replay or an edit.
    assert {200, 201, 404, 409, 422} <= statuses("putInspection")
    assert {200, 201} <= statuses("uploadPhoto") and {200, 201} <= statuses("recordScan")
    assert {304, 403, 404} <= statuses("getPhotoImage")
    assert "content" not in by_id["deleteOrder"]["responses"]["204"]
    assert set(by_id["getPhotoImage"]["responses"]["200"]["content"]) == {
        "image/jpeg", "image/webp", "image/png", "image/heic"}


def test_the_body_limits_are_documented(document: dict[str, Any]) -> None:
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}
    assert by_id["createCustomer"]["x-max-body-bytes"] == SETTINGS.max_body_bytes
    assert by_id["importPackingList"]["x-max-body-bytes"] == SETTINGS.max_import_bytes
    assert by_id["uploadPhoto"]["x-max-body-bytes"] == SETTINGS.max_photo_bytes
    assert f"{SETTINGS.max_photo_bytes:,} bytes" in by_id["uploadPhoto"]["responses"]["413"]["description"]
    assert "x-max-body-bytes" not in by_id["getOrder"]
    assert document["info"]["x-limits"]["max_import_bytes"] == SETTINGS.max_import_bytes
    # The raw bodies are documented too.
    assert set(by_id["uploadPhoto"]["requestBody"]["content"]) == {"image/jpeg", "image/png", "image/webp",
                                                                   "image/heic"}
    assert set(by_id["recordScan"]["requestBody"]["content"]) == {"application/json", "multipart/form-data"}


def test_request_schemas_say_what_the_server_checks(document: dict[str, Any]) -> None:
    """msgspec's own schemas: unknown fields refused, and the bounds Litestar's translation drops."""
    schemas = document["components"]["schemas"]
    assert schemas["CustomerIn"]["additionalProperties"] is False
    aliases = schemas["CustomerPatch"]["properties"]["colour_aliases"]
    assert aliases["propertyNames"]["pattern"] == aliases["additionalProperties"]["pattern"] == "^[^\\x00]*$"
    quantity = schemas["OrderLinePatch"]["properties"]["quantity"]
    assert "minimum" in quantity or "exclusiveMinimum" in quantity


def test_a_missing_body_is_named_in_both_languages(admin) -> None:  # type: ignore[no-untyped-def]
    order_path = f"/api/orders/{uuid.uuid4()}"
    for method, path in (("POST", "/api/customers"), ("PATCH", order_path), ("PUT", f"/api/inspections/{uuid.uuid4()}")):
        for headers in ({}, {"Content-Type": "application/json"}):
            problem = assert_problem(admin.request(method, path, headers=headers), 400)
            assert problem["detail"] == "The request body is missing: send a JSON object.", (method, path)
            assert problem["detail_zh"] == "缺少请求体：请发送 JSON 对象。"


def test_a_nul_character_is_named_in_both_languages(admin) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(admin.post("/api/customers", json={"code": "C\x00", "name": "Customer"}), 400)
    assert problem["detail"] == "code: must not contain a NUL character"
    assert problem["detail_zh"] == "请求内容有误：code：不得包含 NUL 字符"
    assert problem["errors"][0]["key"] == "code"


DEEP_ARRAY = b"[" * 200_000 + b"]" * 200_000
DEEP_OBJECT = b'{"a":' * 200_000 + b"1" + b"}" * 200_000


def _example_path(path: str, operation: dict[str, Any]) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = str(uuid.uuid4()) if parameter["schema"].get("format") == "uuid" else "X1"
            path = path.replace(f"{{{parameter['name']}}}", value)
    assert not re.search(r"\{", path), path
    return path


def test_json_nested_200000_deep_is_400_on_every_json_route(admin, document: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    routes = [(path, method, operation) for path, method, operation in operations(document)
              if "application/json" in operation.get("requestBody", {}).get("content", {})]
    assert len(routes) > 30
    refused = 0
    for path, method, operation in routes:
        for body in (DEEP_ARRAY, DEEP_OBJECT):
            response = admin.request(method.upper(), _example_path(path, operation), content=body,
                                     headers={"Content-Type": "application/json"})
            if len(body) > operation["x-max-body-bytes"]:
                assert_problem(response, 413)
                continue
            problem = assert_problem(response, 400)
            assert problem["detail_zh"]
            if operation["operationId"] == "recordScan":
                # Decoded straight into its type: refused at the first level (not an object; no field `a`).
                assert problem["detail"] in {"Expected `object`, got `array`", "Object contains unknown field `a`"}
            else:
                assert problem["detail"] == "The JSON body is nested too deeply.", (method, path, problem)
            refused += 1
    assert refused > len(routes)  # every array, and the objects where the limit lets them in (the push)


def test_options_lists_every_method_of_the_route(admin, client) -> None:  # type: ignore[no-untyped-def]
    for path, allowed in (("/api/customers", "GET, OPTIONS, POST"), ("/api/users", "GET, OPTIONS, POST"),
                          (f"/api/orders/{uuid.uuid4()}", "DELETE, GET, OPTIONS, PATCH")):
        response = admin.request("OPTIONS", path)
        assert response.status_code == 204, response.text
        assert response.headers["allow"] == allowed
    assert_problem(client.options("/api/users"), 401)


def test_the_frameworks_own_500_shows_no_details() -> None:
    body = problem_body(InternalServerException("'user' is not defined in scope"))
    assert body["status"] == 500 and "scope" not in body["detail"] and body["detail_zh"]
