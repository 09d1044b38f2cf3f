"""Request and response schemas of the REST API (marshmallow): they parse and check what comes in, shape what
goes out, and are what the OpenAPI document (records.api.openapi) describes."""

from __future__ import annotations

from datetime import UTC, date

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from certificates.models import Status
from certificates.verification import verify_url
from courses.models import CourseStatus, EnrolmentStatus
from lms.models import ACADEMY_ROLES, COUNTRIES, PROFESSIONS, UserStatus
from lms.models.base import utcnow
from quizzes.models import AttemptState

MAX_ID = 2**31 - 1
ID = validate.Range(min=1, max=MAX_ID)


def _printable(value: str) -> None:
    # No database column we use can hold NUL, and no name or address needs control characters.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError("Control characters are not allowed.")


def Text(*, max_length: int, min_length: int = 0, **kwargs) -> fields.String:  # noqa: N802 - a field factory
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), _printable], **kwargs)


class UTCDateTime(fields.AwareDateTime):
    """An ISO 8601 date and time; without an offset it is taken as UTC."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("The date and time is out of range.") from exc


# --- errors --------------------------------------------------------------------------------------------------


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": 'The HTTP status, as text (e.g. "404").'})
    message = fields.String(required=True, metadata={"description": "What is wrong, in the caller's language."})
    field = fields.String(
        required=True, allow_none=True, metadata={"description": "The parameter or body field at fault, if one."}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# --- query parameters ----------------------------------------------------------------------------------------


class PageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "The `next_cursor` of the previous page; omit for the first page."},
    )
    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={
            "description": "Items per page (default RECORDS_API_PAGE_SIZE); more than "
            "RECORDS_API_MAX_PAGE_SIZE gives that many."
        },
    )


def _one_of(values) -> validate.OneOf:
    return validate.OneOf([str(v) for v in values])


class UserQuerySchema(PageQuerySchema):
    profession = fields.String(validate=_one_of(PROFESSIONS))
    country = fields.String(validate=_one_of(COUNTRIES))
    status = fields.String(validate=_one_of(UserStatus))
    role = fields.String(validate=_one_of(ACADEMY_ROLES), metadata={"description": "Role held in the academy."})
    email = fields.String(validate=validate.Length(max=320))
    created_since = UTCDateTime()


class CourseQuerySchema(PageQuerySchema):
    status = fields.String(validate=_one_of(CourseStatus))
    language = fields.String(validate=validate.Length(max=16))
    profession = fields.String(validate=_one_of(PROFESSIONS))
    owned = fields.Boolean(metadata={"description": "true: the academy's own courses; false: accredited only."})
    updated_since = UTCDateTime()


class EnrolmentQuerySchema(PageQuerySchema):
    course = fields.Integer(validate=ID)
    user = fields.Integer(validate=ID)
    status = fields.String(validate=_one_of(EnrolmentStatus))
    profession = fields.String(validate=_one_of(PROFESSIONS))
    country = fields.String(validate=_one_of(COUNTRIES))
    updated_since = UTCDateTime(metadata={"description": "Enrolled, active, completed or unenrolled since."})


class AttemptQuerySchema(PageQuerySchema):
    course = fields.Integer(validate=ID)
    quiz = fields.Integer(validate=ID)
    user = fields.Integer(validate=ID)
    passed = fields.Boolean()
    state = fields.String(validate=_one_of(AttemptState))
    finished_since = UTCDateTime()


class CertificateQuerySchema(PageQuerySchema):
    course = fields.Integer(validate=ID)
    user = fields.Integer(validate=ID)
    status = fields.String(validate=_one_of(Status))
    updated_since = UTCDateTime(metadata={"description": "Issued or revoked since."})


# --- request bodies ------------------------------------------------------------------------------------------


class UserCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=[validate.Length(max=320), _printable])
    display_name = Text(min_length=1, max_length=200, required=True, metadata={"description": "Full name."})
    username = fields.String(
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9._-]{1,62}$"),
        metadata={"description": "Sign-in name; derived from the e-mail address when omitted."},
    )
    profession = fields.String(validate=_one_of(PROFESSIONS), load_default="other")
    country = fields.String(validate=_one_of(COUNTRIES), load_default="other")
    language = fields.String(validate=validate.Length(max=16), allow_none=True, load_default=None)
    role = fields.String(validate=validate.OneOf(["learner", "trainer"]), load_default="learner")


class EnrolmentCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    user = fields.Integer(required=True, validate=ID)
    course = fields.Integer(required=True, validate=ID)


class CompletionCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    user = fields.Integer(required=True, validate=ID)
    course = fields.Integer(required=True, validate=ID)
    completed_on = fields.Date(
        validate=validate.Range(min=date(1990, 1, 1)), metadata={"description": "Default: today. Not in the future."}
    )


# --- responses -----------------------------------------------------------------------------------------------


class UserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    profession = fields.String(required=True)
    country = fields.String(required=True)
    language = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    roles = fields.List(fields.String(), required=True, metadata={"description": "Roles held in the academy."})
    created_at = fields.DateTime(required=True)


class AccreditationSchema(Schema):
    curriculum_code = fields.String(required=True)
    credit_hours = fields.Float(required=True)
    validity_months = fields.Integer(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class CourseSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    language = fields.String(required=True)
    status = fields.String(required=True)
    academy = fields.String(required=True, metadata={"description": "Slug of the academy that owns the course."})
    owned = fields.Boolean(required=True, metadata={"description": "Owned by the token's academy."})
    professions = fields.List(fields.String(), required=True)
    estimated_hours = fields.Float(required=True)
    updated_at = fields.DateTime(required=True)
    accreditation = fields.Nested(
        AccreditationSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The token's academy's accreditation of the course, if any."},
    )


class EnrolmentSchema(Schema):
    id = fields.Integer(required=True)
    user = fields.Integer(required=True)
    course = fields.Integer(required=True)
    status = fields.String(required=True)
    source = fields.String(required=True)
    enrolled_at = fields.DateTime(required=True)
    last_activity_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    unenrolled_at = fields.DateTime(required=True, allow_none=True)
    completed_lessons = fields.Integer(required=True)
    required_lessons = fields.Integer(required=True)
    percent = fields.Integer(required=True)


class LessonProgressSchema(Schema):
    lesson_id = fields.Integer(required=True)
    module_id = fields.Integer(required=True)
    title = fields.String(required=True)
    required = fields.Boolean(required=True)
    first_viewed_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)


class ProgressSchema(Schema):
    enrolment_id = fields.Integer(required=True)
    status = fields.String(required=True)
    completed_lessons = fields.Integer(required=True)
    required_lessons = fields.Integer(required=True)
    percent = fields.Integer(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    lessons = fields.List(fields.Nested(LessonProgressSchema), required=True)


class AttemptSchema(Schema):
    """An attempt's result: never its questions or answers."""

    id = fields.Integer(required=True)
    quiz = fields.Integer(required=True, attribute="quiz_id")
    quiz_title = fields.String(required=True, attribute="quiz.title")
    course = fields.Integer(required=True, attribute="quiz.course_id")
    user = fields.Integer(required=True, attribute="user_id")
    number = fields.Integer(required=True)
    state = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True, allow_none=True)
    score = fields.Float(required=True, allow_none=True, attribute="marks", metadata={"description": "Marks earned."})
    max_score = fields.Float(required=True, attribute="max_marks")
    percent = fields.Float(required=True, allow_none=True)
    passed = fields.Boolean(required=True, allow_none=True)
    needs_grading = fields.Boolean(required=True)


class CertificateSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    serial = fields.String(required=True)
    user = fields.Integer(required=True, allow_none=True, attribute="user_id")
    course = fields.Integer(required=True, allow_none=True, attribute="course_id")
    holder_name = fields.String(required=True)
    course_title = fields.String(required=True)
    curriculum_code = fields.String(required=True)
    credit_hours = fields.Float(required=True)
    source = fields.String(required=True)
    completed_on = fields.Date(required=True)
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(required=True, allow_none=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    status = fields.Function(
        lambda c: str(c.status(utcnow().date())), required=True, metadata={"type": "string", "enum": list(Status)}
    )
    verify_url = fields.Function(
        verify_url, required=True, metadata={"type": "string", "description": "The public verification page."}
    )


def page_schema(item: type[Schema]) -> type[Schema]:
    """The schema of a page of ``item``: ``{"data": [...], "next_cursor": ...}``."""
    name = item.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "data": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(
                required=True, allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}
            ),
        },
    )
