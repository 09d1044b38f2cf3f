"""The REST API ``/api/v1``: bearer tokens only (a session cookie never authenticates a call), JSON in and out,
one error shape ``{"error": {"code", "message", "field"}}``, keyset pagination with opaque cursors, a rate limit
per token. Each view declares its OpenAPI operation with :func:`api_route`; records.api.openapi builds the
document from those declarations and the schemas."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db, limiter
from lms.security import access
from records.api import schemas
from records.api import services as service
from records.api.models import ApiToken

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    """An error answered in the API's error shape."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about a view (read by records.api.openapi)."""

    summary: str
    tag: str
    response: type[Schema]
    status: int = 200
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    write: bool = False
    paged: bool = False
    by_id: bool = False
    description: str = ""


# --- errors --------------------------------------------------------------------------------------------------


def error_response(status: int, message: str, field: str | None = None):
    response = jsonify({"error": {"code": str(status), "message": message, "field": field}})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.message, exc.field)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    return error_response(404 if isinstance(exc, NotFoundError) else 422, exc.message, exc.field)


def _http_message(exc: HTTPException) -> str:
    messages = {
        404: _("There is nothing at this address, or the token cannot see it."),
        405: _("This address does not accept the %(method)s method.", method=request.method),
        429: _("Too many requests with this token in a short time. Wait a minute and try again."),
    }
    return messages.get(exc.code or 500, exc.description or exc.name)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, _http_message(exc))


@bp.errorhandler(Exception)
def _server_error(exc: Exception):
    from lms.errors import DATABASE_ERRORS, database_unavailable

    if isinstance(exc, DATABASE_ERRORS):  # the database is unreachable for a moment: 503, try again
        return database_unavailable(exc)
    log.exception("API request %s %s failed", request.method, request.path)
    db.session.rollback()
    return error_response(500, _("Something went wrong on our side. The error has been logged; try again later."))


# --- authentication, rate limit, parsing ---------------------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _current_token() -> ApiToken:
    raw = _bearer()
    if raw is None:
        raise ApiError(401, _("Send an API token in the header 'Authorization: Bearer <token>'."))
    token = service.authenticate(raw)
    if token is None:
        raise ApiError(401, _("The API token is not valid, or it has been revoked."))
    return token


def _rate_key() -> str:
    """Calls are counted per token (by its hash, so the raw value is never kept), else per address."""
    raw = _bearer()
    if raw:
        return "api-token:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]
    return "api-ip:" + (get_remote_address() or "")


def _rate_limit() -> str:
    return current_app.config["RECORDS_API_RATE_LIMIT"]


def _first_error(messages: Any, prefix: str = "") -> tuple[str | None, str]:
    """The first field named in marshmallow's nested error messages, and its message."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                return (prefix or None), _first_error(value)[1]
            return _first_error(value, name)
    if isinstance(messages, list) and messages:
        return (prefix or None), str(messages[0])
    return (prefix or None), str(messages)


def _load(schema: Schema, data: Any) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        field, detail = _first_error(exc.messages)
        if detail == "Missing data for required field.":
            message = _("The field %(field)s is required.", field=field)
        elif detail == "Unknown field.":
            message = _("The field %(field)s is not part of this request.", field=field)
        else:
            message = _("The value of %(field)s is not valid: %(detail)s", field=field, detail=detail)
        raise ApiError(422, message, field) from exc


def _body() -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, _("The body must be a JSON object (Content-Type: application/json)."))
    return data


def _query(schema: type[Schema]) -> dict:
    return _load(schema(), request.args.to_dict(flat=True))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="records.api.cursor")


def _page_args(filters: dict) -> tuple[int | None, int]:
    """The id after which this page starts (from the signed cursor) and the page size."""
    limit = min(
        filters.pop("limit", None) or current_app.config["RECORDS_API_PAGE_SIZE"],
        current_app.config["RECORDS_API_MAX_PAGE_SIZE"],
    )
    cursor = filters.pop("cursor", None)
    if not cursor:
        return None, limit
    try:
        endpoint, after = _serializer().loads(cursor)
    except (BadSignature, TypeError, ValueError):
        raise ApiError(
            400, _("The cursor is not valid: pass the next_cursor of the previous page."), "cursor"
        ) from None
    if endpoint != request.endpoint or not isinstance(after, int) or not 0 <= after <= schemas.MAX_ID:
        raise ApiError(400, _("The cursor is not valid: pass the next_cursor of the previous page."), "cursor")
    return after, limit


def _ok(data: Any, status: int = 200):
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _paged(items: list[dict], last_id: int | None, more: bool):
    cursor = _serializer().dumps([request.endpoint, last_id]) if more and last_id is not None else None
    return _ok({"data": items, "next_cursor": cursor})


def api_route(rule: str, *, method: str = "GET", **operation) -> Callable:
    """Register a view at ``rule``: bearer token required (write scope when ``write``), query and body parsed
    with the operation's schemas and passed on after the token, rate limited per token, described in OpenAPI."""
    op = Operation(**operation)

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def view(**kwargs):
            token = _current_token()
            if op.write and not token.can_write:
                raise ApiError(403, _("This token may only read: make a write token to change records."))
            g.api_token = token
            args = []
            if op.query is not None:
                args.append(_query(op.query))
            if op.body is not None:
                args.append(_load(op.body(), _body()))
            return fn(token, *args, **kwargs)

        view.api_operation = op
        view = access("public")(view)  # the bearer token decides, not the session (see lms.security)
        # One shared scope: the limit counts every call of a token, whatever the endpoint.
        limited = limiter.shared_limit(_rate_limit, "records.api", key_func=_rate_key)(view)
        bp.add_url_rule(rule, fn.__name__, limited, methods=[method])
        return limited

    return decorate


# --- presenting ----------------------------------------------------------------------------------------------


def _user(token: ApiToken, user) -> dict:
    data = schemas.UserSchema().dump(user)
    data["roles"] = sorted(user.roles_in(token.academy_id))
    return data


def _course(token: ApiToken, course, accreditation) -> dict:
    data = schemas.CourseSchema(exclude=("accreditation", "owned", "academy")).dump(course)
    data["academy"] = course.academy.slug
    data["owned"] = course.academy_id == token.academy_id
    data["accreditation"] = schemas.AccreditationSchema().dump(accreditation) if accreditation else None
    return data


def _enrolment(summary) -> dict:
    enrolment = summary.enrolment
    data = schemas.EnrolmentSchema(exclude=("user", "course", "completed_lessons", "required_lessons", "percent"))
    return {
        **data.dump(enrolment),
        "user": enrolment.user_id,
        "course": enrolment.course_id,
        "completed_lessons": summary.completed,
        "required_lessons": summary.required,
        "percent": summary.percent,
    }


# --- users ---------------------------------------------------------------------------------------------------

USERS = "Users"
PAGE_NOTE = "Members of the academy and learners enrolled in its courses."


@api_route(
    "/users",
    summary="List the users the academy sees",
    description=PAGE_NOTE,
    tag=USERS,
    query=schemas.UserQuerySchema,
    response=schemas.UserSchema,
    paged=True,
)
def user_list(token: ApiToken, filters: dict):
    after, limit = _page_args(filters)
    users, more = service.list_users(token, filters, after, limit)
    return _paged([_user(token, u) for u in users], users[-1].id if users else None, more)


@api_route("/users/<int:user_id>", summary="Get a user", tag=USERS, response=schemas.UserSchema, by_id=True)
def user_detail(token: ApiToken, user_id: int):
    return _ok(_user(token, service.get_user(token, user_id)))


@api_route(
    "/users",
    method="POST",
    summary="Create a user in the academy",
    description="The new account is invited by e-mail to set its password. Role: learner or trainer.",
    tag=USERS,
    body=schemas.UserCreateSchema,
    response=schemas.UserSchema,
    status=201,
    write=True,
)
def user_create(token: ApiToken, data: dict):
    user = service.create_user(token, service.UserFields(**data))
    return _ok(_user(token, user), 201)


# --- courses -------------------------------------------------------------------------------------------------

COURSES = "Courses"


@api_route(
    "/courses",
    summary="List the courses the academy owns or accredits",
    tag=COURSES,
    query=schemas.CourseQuerySchema,
    response=schemas.CourseSchema,
    paged=True,
)
def course_list(token: ApiToken, filters: dict):
    after, limit = _page_args(filters)
    courses, more = service.list_courses(token, filters, after, limit)
    accreditations = service.accreditations_by_course(token, [c.id for c in courses])
    items = [_course(token, c, accreditations.get(c.id)) for c in courses]
    return _paged(items, courses[-1].id if courses else None, more)


@api_route("/courses/<int:course_id>", summary="Get a course", tag=COURSES, response=schemas.CourseSchema, by_id=True)
def course_detail(token: ApiToken, course_id: int):
    course = service.get_course(token, course_id)
    return _ok(_course(token, course, service.accreditations_by_course(token, [course.id]).get(course.id)))


# --- enrolments and progress ---------------------------------------------------------------------------------

ENROLMENTS = "Enrolments"


@api_route(
    "/enrolments",
    summary="List enrolments in the academy's courses, with progress counts",
    tag=ENROLMENTS,
    query=schemas.EnrolmentQuerySchema,
    response=schemas.EnrolmentSchema,
    paged=True,
)
def enrolment_list(token: ApiToken, filters: dict):
    after, limit = _page_args(filters)
    rows, more = service.list_enrolments(token, filters, after, limit)
    return _paged([_enrolment(s) for s in rows], rows[-1].enrolment.id if rows else None, more)


@api_route(
    "/enrolments/<int:enrolment_id>",
    summary="Get an enrolment",
    tag=ENROLMENTS,
    response=schemas.EnrolmentSchema,
    by_id=True,
)
def enrolment_detail(token: ApiToken, enrolment_id: int):
    return _ok(_enrolment(service.get_enrolment(token, enrolment_id)))


@api_route(
    "/enrolments/<int:enrolment_id>/progress",
    summary="Lesson-by-lesson progress of an enrolment",
    tag=ENROLMENTS,
    response=schemas.ProgressSchema,
    by_id=True,
)
def enrolment_progress(token: ApiToken, enrolment_id: int):
    return _ok(schemas.ProgressSchema().dump(service.enrolment_progress(token, enrolment_id)))


@api_route(
    "/enrolments",
    method="POST",
    summary="Enrol a member of the academy in one of its courses",
    description="201 when enrolled now; 200 with the existing enrolment when already enrolled.",
    tag=ENROLMENTS,
    body=schemas.EnrolmentCreateSchema,
    response=schemas.EnrolmentSchema,
    status=201,
    write=True,
)
def enrolment_create(token: ApiToken, data: dict):
    summary, created = service.enrol(token, data["user"], data["course"])
    return _ok(_enrolment(summary), 201 if created else 200)


# --- attempts ------------------------------------------------------------------------------------------------

ATTEMPTS = "Quiz attempts"


@api_route(
    "/attempts",
    summary="List quiz attempts in the academy's courses (results only)",
    tag=ATTEMPTS,
    query=schemas.AttemptQuerySchema,
    response=schemas.AttemptSchema,
    paged=True,
)
def attempt_list(token: ApiToken, filters: dict):
    after, limit = _page_args(filters)
    attempts, more = service.list_attempts(token, filters, after, limit)
    items = schemas.AttemptSchema(many=True).dump(attempts)
    return _paged(items, attempts[-1].id if attempts else None, more)


@api_route(
    "/attempts/<int:attempt_id>",
    summary="Get a quiz attempt's result",
    tag=ATTEMPTS,
    response=schemas.AttemptSchema,
    by_id=True,
)
def attempt_detail(token: ApiToken, attempt_id: int):
    return _ok(schemas.AttemptSchema().dump(service.get_attempt(token, attempt_id)))


# --- certificates and completions ----------------------------------------------------------------------------

CERTIFICATES = "Certificates"


@api_route(
    "/certificates",
    summary="List the certificates the academy issued",
    tag=CERTIFICATES,
    query=schemas.CertificateQuerySchema,
    response=schemas.CertificateSchema,
    paged=True,
)
def certificate_list(token: ApiToken, filters: dict):
    after, limit = _page_args(filters)
    certificates, more = service.list_certificates(token, filters, after, limit)
    items = schemas.CertificateSchema(many=True).dump(certificates)
    return _paged(items, certificates[-1].id if certificates else None, more)


@api_route(
    "/certificates/<int:certificate_id>",
    summary="Get a certificate",
    tag=CERTIFICATES,
    response=schemas.CertificateSchema,
    by_id=True,
)
def certificate_detail(token: ApiToken, certificate_id: int):
    return _ok(schemas.CertificateSchema().dump(service.get_certificate(token, certificate_id)))


@api_route(
    "/completions",
    method="POST",
    summary="Record an in-person completion: issues the certificate",
    description="The certificate is issued under the academy's accreditation of the course (422 naming `course` "
    "when the academy does not accredit it).",
    tag=CERTIFICATES,
    body=schemas.CompletionCreateSchema,
    response=schemas.CertificateSchema,
    status=201,
    write=True,
)
def completion_create(token: ApiToken, data: dict):
    certificate = service.record_completion(token, data["user"], data["course"], data.get("completed_on"))
    return _ok(schemas.CertificateSchema().dump(certificate), 201)


# --- the document --------------------------------------------------------------------------------------------


@bp.route("/openapi.json")
@access("public")
def openapi_document():
    """The OpenAPI 3.1 document of this API, built from the views above and their schemas."""
    from records.api.openapi import document

    return _ok(document(current_app))
