"""The OpenAPI 3.1 document: generated from the code, valid, and what the API really does (schemathesis)."""

from __future__ import annotations

import pytest
import schemathesis
import schemathesis.specs.openapi.checks
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from tests.records.api.conftest import bearer

EXAMPLES = 20  # per operation and mode: the whole run stays well under a minute


def test_the_document_is_valid_openapi_3_1(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {"code", "message", "field"}
    # Every API route is in it, generated from the registered views.
    routes = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")} - {"/api/v1/openapi.json"}
    paths = {p.replace("{", "<int:").replace("}", ">") for p in document["paths"]}
    assert paths == routes
    listing = document["paths"]["/api/v1/users"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "limit", "profession", "country", "status"} <= names
    assert "429" in listing["responses"] and "401" in listing["responses"]


def _isolated(app):
    def wsgi(environ, start_response):
        # Each call in its own app context (its own g and session), as in production.
        with app.app_context():
            return app(environ, start_response)

    return wsgi


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_document(app, world, read_token, write_token, mode, scope):
    """Schemathesis generates calls for every operation, with a read token (writes must answer 403, as
    documented) and with a write token; no call may fail on our side, every answer must match the document."""
    token = read_token if scope == "read" else write_token
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.app = _isolated(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.specs.openapi.checks.status_code_conformance,
        schemathesis.specs.openapi.checks.content_type_conformance,
        schemathesis.specs.openapi.checks.response_schema_conformance,
    ]
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call_and_validate(headers=bearer(token), checks=checks)
            statuses.append(response.status_code)

        call()
    assert len(statuses) > 5 * len(operations)
    expected = {200, 404} if mode == GenerationMode.POSITIVE else {422}
    if mode == GenerationMode.POSITIVE:
        expected |= {403} if scope == "read" else {201}
    assert expected <= set(statuses), sorted(set(statuses))
