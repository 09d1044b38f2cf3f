"""The OpenAPI 3.1 document of ``/api/v1``, generated with apispec from the registered views (their
:class:`records.api.views.Operation`) and the marshmallow schemas: nothing in it is written by hand."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from records.api import schemas
from records.api.views import Operation

ERRORS = {
    "400": "Bad request: the body is not a JSON object, or the cursor is not valid.",
    "401": "No token, or a token that is not valid or was revoked.",
    "403": "The token may only read.",
    "404": "No such object, or one of another academy (the two are indistinguishable).",
    "422": "A parameter or body field is not valid; `field` names it.",
    "429": "Too many calls with this token (RECORDS_API_RATE_LIMIT).",
}
DESCRIPTION = """REST API for academies' systems. Every call sends an API token made by a registrar of the academy
(`Authorization: Bearer <token>`); a token sees only its academy. Lists are pages `{"data": [...], "next_cursor"}`:
pass `next_cursor` as `cursor` to get the next page (it is null on the last one). Every error has the shape
`{"error": {"code", "message", "field"}}`. Calls are rate limited per token."""
_PAGE_SCHEMAS: dict[type[Schema], type[Schema]] = {}


def _page_schema(item: type[Schema]) -> type[Schema]:
    # One class per item schema for the life of the process, so the document names each page schema once.
    if item not in _PAGE_SCHEMAS:
        _PAGE_SCHEMAS[item] = schemas.page_schema(item)
    return _PAGE_SCHEMAS[item]


def _path(rule: str) -> tuple[str, list[dict]]:
    parameters = []
    for name in re.findall(r"<(?:int:)?(\w+)>", rule):
        parameters.append(
            {
                "in": "path",
                "name": name,
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
            }
        )
    return re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule), parameters


def _json(schema: Any) -> dict:
    return {"application/json": {"schema": schema}}


def _operation(endpoint: str, op: Operation, path_parameters: list[dict]) -> dict:
    success = _page_schema(op.response) if op.paged else op.response
    responses: dict[str, Any] = {str(op.status): {"description": "Success.", "content": _json(success)}}
    if op.write and op.status == 201:
        responses["200"] = {"description": "It was so already; nothing changed.", "content": _json(op.response)}
    codes = ["401", "429"]
    if op.query is not None or op.body is not None:
        codes += ["422"]
    if op.paged or op.body is not None:
        codes += ["400"]
    if op.by_id or op.body is not None:
        codes += ["404"]
    if op.write:
        codes += ["403"]
    for code in sorted(codes):
        responses[code] = {"$ref": f"#/components/responses/{code}"}
    operation: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api."),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": [*path_parameters, *([{"in": "query", "schema": op.query}] if op.query else [])],
        "responses": responses,
    }
    if op.description:
        operation["description"] = op.description
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(op.body)}
    return operation


def build(app: Flask) -> dict:
    """Build the document from the app's API routes."""
    spec = APISpec(
        title="LMS records API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    for code, description in ERRORS.items():
        spec.components.response(code, {"description": description, "content": _json("Error")})
    paths: dict[str, dict[str, dict]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = getattr(app.view_functions.get(rule.endpoint), "api_operation", None)
        if not rule.endpoint.startswith("api.") or op is None:
            continue
        path, parameters = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, op, parameters)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def document(app: Flask) -> dict:
    """The document, built once per app (routes do not change after start-up)."""
    if "records.api.openapi" not in app.extensions:
        app.extensions["records.api.openapi"] = build(app)
    return app.extensions["records.api.openapi"]
