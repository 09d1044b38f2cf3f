"""Completion exports of an academy's records: enrolments, progress, quiz results and certificates (CPD hours),
as CSV, XLSX, JSON or xAPI statements, for ``lms records export`` and the page /records/exports.

Each kind is one Core ``select()`` with its columns named once, here, with their translated headers
(:func:`columns`), and one function that turns a result row into the cells the page, the CSV, the XLSX and the
JSON all show. Rows are streamed from the database (``yield_per``: a server-side cursor on PostgreSQL) and
written as they come: no ORM object per row, no query per row, so 200,000 rows take little more memory than 20
(bench/records_export.py measures it).

Who may export what: a registrar exports the records of their own academies (the scope rule of records.scope,
the same as the REST API's), an administrator every academy's, the command line too (it runs on the server).
Every export is audited (``records.exported``) with its kind, format, filters and the number of rows written.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Row, Select, func, or_, select

from certificates.models import STATUS_LABELS, Accreditation, Certificate, certificate_status
from courses.models import Course, Enrolment, LessonProgress, VersionLesson
from courses.reports import FORMULA_START, ReportRow, day, report_columns, report_row_maker, status_labels
from lms import audit
from lms.accounts.services import managed_academies
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import COUNTRIES, PROFESSIONS, Academy, Cohort, CohortMember, User
from lms.models.base import utcnow
from quizzes.models import Attempt, AttemptState, Quiz
from quizzes.reports import display
from records import scope
from records.filters import FORMATS, KINDS, ExportFilters

Cell = str | int | Decimal | None
YIELD_PER = 2000  # rows fetched at a time: big enough to amortise round trips, small enough to stay flat in memory
CHUNK = 64 * 1024  # characters of output gathered before they are handed on
PREVIEW_ROWS = 20
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database
CENTS = Decimal("0.01")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "xapi": "application/json",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "json": "json", "xapi": "xapi.json"}


class ExportNotAllowedError(DomainError):
    """The actor may not export records at all (neither a registrar nor an administrator)."""


def kind_labels() -> dict[str, str]:
    return {
        "progress": _("Completion records (progress per learner and course)"),
        "enrolments": _("Enrolments"),
        "results": _("Quiz results"),
        "certificates": _("Certificates and CPD hours"),
    }


def format_labels() -> dict[str, str]:
    return {
        "csv": _("CSV (spreadsheets)"),
        "xlsx": _("Excel workbook (XLSX)"),
        "json": _("JSON"),
        "xapi": _("xAPI statements (JSON)"),
    }


def source_labels() -> dict[str, str]:
    return {
        "self": _("self-enrolled"),
        "registrar": _("by a registrar"),
        "cohort": _("with a cohort"),
        "import": _("imported"),
        "api": _("through the API"),
    }


# --- the columns of each kind -----------------------------------------------------------------------------


def columns(kind: str) -> list[tuple[str, str]]:
    """(JSON key, translated header) of each column of ``kind``, in order. The progress columns are the course
    progress report's (courses.reports), after the academy and the course."""
    where = [("academy", _("Academy")), ("course", _("Course"))]
    person = [
        ("name", _("Name")),
        ("email", _("E-mail address")),
        ("profession", _("Profession")),
        ("country", _("Country")),
    ]
    if kind == "progress":
        return where + list(zip([f.name for f in fields(ReportRow)], report_columns(), strict=True))
    if kind == "enrolments":
        return (
            where
            + person
            + [
                ("status", _("Status")),
                ("enrolled_how", _("How enrolled")),
                ("enrolled_on", _("Enrolled on")),
                ("completed_on", _("Completed on")),
                ("unenrolled_on", _("Unenrolled on")),
            ]
        )
    if kind == "results":
        return (
            where
            + [("quiz", _("Quiz"))]
            + person
            + [
                ("attempt", _("Attempt")),
                ("score_percent", _("Score (%)")),
                ("passed", _("Passed")),
                ("started_at", _("Started (UTC)")),
                ("finished_at", _("Finished (UTC)")),
            ]
        )
    if kind == "certificates":
        return [
            ("academy", _("Academy")),
            ("serial", _("Serial number")),
            ("code", _("Verification code")),
            ("holder", _("Holder")),
            *person[1:],
            ("course", _("Course")),
            ("curriculum_code", _("Curriculum code")),
            ("cpd_hours", _("CPD hours")),
            ("completed_on", _("Completed on")),
            ("issued_on", _("Issued on")),
            ("valid_until", _("Valid until")),
            ("status", _("Status")),
            ("revoked_on", _("Revoked on")),
        ]
    raise DomainError(_("Unknown kind of records '%(kind)s'.", kind=kind), field="kind")


# --- the queries ------------------------------------------------------------------------------------------


def _day_range(column, since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Inclusive UTC days; ``column`` a UTC time (or a date, compared as dates)."""
    conditions = []
    is_date = getattr(column.type, "python_type", None) is date
    if since:
        conditions.append(column >= (since if is_date else datetime.combine(since, time.min, UTC)))
    if until:
        conditions.append(
            column <= until if is_date else column < datetime.combine(until + timedelta(days=1), time.min, UTC)
        )
    return conditions


def _people(filters: ExportFilters, user_id) -> list[ColumnElement[bool]]:
    """Conditions on the learner: cohort, profession, country (``User`` is joined by the caller)."""
    conditions = []
    if filters.cohort_id:
        conditions.append(user_id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == filters.cohort_id)))
    if filters.profession:
        conditions.append(User.profession == filters.profession)
    if filters.country:
        conditions.append(User.country == filters.country)
    return conditions


def _enrolment_conditions(filters: ExportFilters) -> list[ColumnElement[bool]]:
    conditions = [scope.enrolments_of(filters.academy_ids)]
    if filters.course_id:
        conditions.append(Enrolment.course_id == filters.course_id)
    return conditions


def _person_columns() -> tuple:
    return (
        User.display_name.label("name"),
        User.email.label("email"),
        User.profession.label("profession"),
        User.country.label("country"),
    )


def _enrolments_base(filters: ExportFilters, *cols) -> Select:
    return (
        select(Academy.name.label("academy"), Course.title.label("course"), *_person_columns(), *cols)
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Academy, Academy.id == Course.academy_id)
        .where(*_enrolment_conditions(filters), *_people(filters, Enrolment.user_id))
        .order_by(Course.title, Course.id, User.display_name, User.id)
    )


def _progress_query(filters: ExportFilters) -> Select:
    """Enrolments with their completed and required lesson counts, aggregated in two grouped subqueries (what
    courses.progress.summaries counts, in the same statement)."""
    required = (
        select(VersionLesson.version_id, func.count(VersionLesson.id).label("n"))
        .where(VersionLesson.required.is_(True))
        .group_by(VersionLesson.version_id)
        .subquery("required")
    )
    done = (
        select(LessonProgress.enrolment_id, func.count(LessonProgress.id).label("n"))
        .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
        .join(
            VersionLesson,
            (VersionLesson.version_id == Enrolment.version_id) & (VersionLesson.lesson_id == LessonProgress.lesson_id),
        )
        .where(LessonProgress.completed_at.is_not(None), VersionLesson.required.is_(True))
        .where(*_enrolment_conditions(filters))  # aggregate only the enrolments that can be exported
        .group_by(LessonProgress.enrolment_id)
        .subquery("done")
    )
    activity = func.coalesce(Enrolment.last_activity_at, Enrolment.enrolled_at)
    return (
        _enrolments_base(
            filters,
            Enrolment.status.label("status"),
            func.coalesce(done.c.n, 0).label("lessons_done"),
            func.coalesce(required.c.n, 0).label("lessons_required"),
            Enrolment.enrolled_at.label("enrolled_at"),
            Enrolment.last_activity_at.label("last_activity_at"),
            Enrolment.completed_at.label("completed_at"),
        )
        .outerjoin(required, required.c.version_id == Enrolment.version_id)
        .outerjoin(done, done.c.enrolment_id == Enrolment.id)
        .where(*_day_range(activity, filters.since, filters.until))
    )


def _enrolments_query(filters: ExportFilters) -> Select:
    return _enrolments_base(
        filters,
        Enrolment.status.label("status"),
        Enrolment.source.label("source"),
        Enrolment.enrolled_at.label("enrolled_at"),
        Enrolment.completed_at.label("completed_at"),
        Enrolment.unenrolled_at.label("unenrolled_at"),
    ).where(*_day_range(Enrolment.enrolled_at, filters.since, filters.until))


def _results_query(filters: ExportFilters) -> Select:
    """Finished attempts (results; attempts in progress have none yet)."""
    query = (
        select(
            Academy.name.label("academy"),
            Course.title.label("course"),
            Quiz.title.label("quiz"),
            *_person_columns(),
            Attempt.number.label("attempt"),
            Attempt.percent.label("percent"),
            Attempt.passed.label("passed"),
            Attempt.needs_grading.label("needs_grading"),
            Attempt.started_at.label("started_at"),
            Attempt.finished_at.label("finished_at"),
        )
        .select_from(Attempt)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .join(Academy, Academy.id == Course.academy_id)
        .join(User, User.id == Attempt.user_id)
        .where(scope.attempts_of(filters.academy_ids), Attempt.state == AttemptState.FINISHED)
        .where(*_people(filters, Attempt.user_id), *_day_range(Attempt.finished_at, filters.since, filters.until))
        .order_by(Course.title, Course.id, Quiz.title, Quiz.id, User.display_name, User.id, Attempt.number)
    )
    return query.where(Quiz.course_id == filters.course_id) if filters.course_id else query


def _certificates_query(filters: ExportFilters) -> Select:
    """Certificates as issued (their own snapshot of names, titles and hours); the holder's account, when there
    still is one, for the e-mail address, profession and country."""
    query = (
        select(
            Certificate.academy_name.label("academy"),
            Certificate.serial.label("serial"),
            Certificate.code.label("code"),
            Certificate.holder_name.label("holder"),
            *_person_columns()[1:],
            Certificate.course_title.label("course"),
            Certificate.curriculum_code.label("curriculum_code"),
            Certificate.credit_hours.label("cpd_hours"),
            Certificate.completed_on.label("completed_on"),
            Certificate.issued_on.label("issued_on"),
            Certificate.expires_on.label("expires_on"),
            Certificate.revoked_at.label("revoked_at"),
        )
        .select_from(Certificate)
        .outerjoin(User, User.id == Certificate.user_id)
        .where(scope.certificates_of(filters.academy_ids))
        .where(*_people(filters, Certificate.user_id), *_day_range(Certificate.issued_on, filters.since, filters.until))
        .order_by(Certificate.issued_on, Certificate.id)
    )
    return query.where(Certificate.course_id == filters.course_id) if filters.course_id else query


QUERIES: dict[str, Callable[[ExportFilters], Select]] = {
    "progress": _progress_query,
    "enrolments": _enrolments_query,
    "results": _results_query,
    "certificates": _certificates_query,
}


def query(kind: str, filters: ExportFilters) -> Select:
    """The statement of ``kind`` narrowed by ``filters``, its columns named for :func:`cells_maker`."""
    if kind not in QUERIES:
        raise DomainError(_("Unknown kind of records '%(kind)s'.", kind=kind), field="kind")
    return QUERIES[kind](filters)


# --- rows to cells ----------------------------------------------------------------------------------------


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    return {k: str(v) for k, v in PROFESSIONS.items()}, {k: str(v) for k, v in COUNTRIES.items()}


def _minute(value: datetime | None) -> str:
    # As the quiz results page shows times (quizzes.reports).
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def cells_maker(kind: str) -> Callable[[Row], Sequence[Cell]]:
    """A function from a row of :func:`query` to its cells in the order of :func:`columns`, labels translated
    once for the whole export (rows are read by the names the statements give their columns)."""
    professions, countries = _labels()
    if kind == "progress":
        make = report_row_maker()

        def progress(row: Row) -> list[Cell]:
            # The statement's columns after the academy and course are the report row maker's arguments, in order
            # (unpacked, not read by name: this is the hot loop of the biggest export).
            academy, course, *report = row
            return [academy, course, *make(*report).cells()]

        return progress
    if kind == "enrolments":
        statuses, sources = status_labels(), source_labels()
        return lambda r: [
            r.academy,
            r.course,
            r.name,
            r.email,
            professions.get(r.profession, r.profession),
            countries.get(r.country, r.country),
            statuses[r.status],
            sources.get(r.source, r.source),
            day(r.enrolled_at),
            day(r.completed_at),
            day(r.unenrolled_at),
        ]
    if kind == "results":
        waiting = _("Waiting for grading")
        return lambda r: [
            r.academy,
            r.course,
            r.quiz,
            r.name,
            r.email,
            professions.get(r.profession, r.profession),
            countries.get(r.country, r.country),
            r.attempt,
            r.percent.quantize(CENTS) if r.percent is not None else None,  # two decimals, as on the results page
            display(r.passed) if r.passed is not None else (waiting if r.needs_grading else ""),
            _minute(r.started_at),
            _minute(r.finished_at),
        ]
    if kind == "certificates":
        today = utcnow().date()
        statuses = {s: str(v) for s, v in STATUS_LABELS.items()}
        return lambda r: [
            r.academy,
            r.serial,
            r.code,
            r.holder,
            r.email or "",  # the holder's account may be gone (anonymised): the certificate stays
            professions.get(r.profession, r.profession or ""),
            countries.get(r.country, r.country or ""),
            r.course,
            r.curriculum_code,
            r.cpd_hours,
            r.completed_on.isoformat(),
            r.issued_on.isoformat(),
            r.expires_on.isoformat() if r.expires_on else "",
            statuses[certificate_status(r.revoked_at, r.expires_on, today)],
            day(r.revoked_at),
        ]
    raise DomainError(_("Unknown kind of records '%(kind)s'.", kind=kind), field="kind")


def stream_rows(kind: str, filters: ExportFilters) -> Iterator[Sequence[Cell]]:
    """The cells of every row of ``kind``, streamed (``yield_per``; a server-side cursor on PostgreSQL)."""
    make = cells_maker(kind)
    # Core on the session's connection: the same transaction, plain rows, no ORM objects.
    result = db.session.connection().execute(query(kind, filters), execution_options={"yield_per": YIELD_PER})
    try:
        for row in result:
            yield make(row)
    finally:
        result.close()


# --- writers ----------------------------------------------------------------------------------------------


class _Counter:
    """Wraps the rows so the audit knows how many were written, whatever the format."""

    def __init__(self, rows: Iterator) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def write_csv(header: Sequence[str], rows: Iterator[Sequence[Cell]]) -> Iterator[bytes]:
    """UTF-8 CSV with a header row, in chunks. It starts with a byte order mark, as the course report's CSV:
    Excel (the registrars' spreadsheet) reads a CSV without one in the Windows code page and garbles Cyrillic
    names and č, ć, ž, đ; csv readers that expect plain UTF-8 read it with ``utf-8-sig``. Text starting with
    = + - @, a tab or a carriage return gets a leading apostrophe so no spreadsheet runs it as a formula;
    numbers we computed are left as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    start = FORMULA_START
    for cells in rows:
        writer.writerow([("'" + c if c.startswith(start) else c) if c.__class__ is str else c for c in cells])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _json_default(value: Any):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json_array(items: Iterator[Any]) -> Iterator[bytes]:
    """A JSON array written item by item (never the whole list in memory)."""
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    parts, size, first = ["["], 1, True
    for item in items:
        text = ("\n" if first else ",\n") + encode(item)
        first = False
        parts.append(text)
        size += len(text)
        if size > CHUNK:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts.append("\n]\n")
    yield "".join(parts).encode("utf-8")


def write_json(keys: Sequence[str], rows: Iterator[Sequence[Cell]]) -> Iterator[bytes]:
    """A JSON array of objects, one per row, keyed by the columns' keys, values as the page shows them."""
    return _json_array(dict(zip(keys, cells, strict=True)) for cells in rows)


def write_xlsx(title: str, header: Sequence[str], rows: Iterator[Sequence[Cell]]) -> Iterator[bytes]:
    """An XLSX workbook made in openpyxl's write-only mode (rows go to disk as they come) in a temporary file,
    then read back in chunks. Text that Excel would take for a formula (``=…``) is stored as text, unchanged."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)

    def cell(value: Cell):
        if value.__class__ is not str:
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters cannot be stored in XLSX
        if value.startswith("="):
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"  # openpyxl would otherwise write it as a formula
            return text
        return value

    heading = []
    for label in header:
        item = WriteOnlyCell(sheet, value=label)
        item.font = bold
        heading.append(item)
    sheet.append(heading)
    for cells in rows:
        sheet.append([cell(c) for c in cells])
    with tempfile.TemporaryFile(suffix=".xlsx") as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


# --- who may export what ----------------------------------------------------------------------------------


def export_academies(actor: User | None) -> list[Academy]:
    """Academies whose records ``actor`` may export: a registrar's own, every one for administrators and the
    command line (``actor`` None)."""
    if actor is None:
        return list(db.session.scalars(select(Academy).order_by(Academy.name)))
    return managed_academies(actor)


def _allowed_ids(actor: User | None) -> set[int] | None:
    """None: every academy."""
    if actor is None or actor.is_admin:
        return None
    ids = actor.academy_ids("registrar")
    if not ids:
        raise ExportNotAllowedError(_("Only registrars and administrators export records."))
    return ids


def _courses_of(academy_ids: set[int] | None, statement: Select) -> Select:
    """``statement`` narrowed to the courses whose records the academies hold: those they own, and those they
    accredit (they issue certificates for them)."""
    if academy_ids is None:
        return statement
    accredited = select(Accreditation.course_id).where(Accreditation.academy_id.in_(academy_ids or [-1]))
    return statement.where(or_(Course.id.in_(scope.own_course_ids(academy_ids)), Course.id.in_(accredited)))


def export_courses(academy_ids: set[int] | None) -> list[Course]:
    """Courses to choose from in the export filters."""
    return list(db.session.scalars(_courses_of(academy_ids, select(Course).order_by(Course.title, Course.id))))


def export_cohorts(academy_ids: set[int] | None) -> list[Cohort]:
    query = select(Cohort).order_by(Cohort.name, Cohort.id)
    if academy_ids is not None:
        query = query.where(Cohort.academy_id.in_(academy_ids or [-1]))
    return list(db.session.scalars(query))


@dataclass
class FilterInput:
    """What someone asked for, as typed or chosen (ids, not objects)."""

    academy_id: int | None = None
    course_id: int | None = None
    cohort_id: int | None = None
    profession: str = ""
    country: str = ""
    since: date | None = None
    until: date | None = None


def build_filters(actor: User | None, wanted: FilterInput) -> ExportFilters:
    """The filters ``actor`` may use: the academies come from who asks (a registrar's own, narrowed to one if
    asked), and a course or cohort outside them is "not found", as another academy's records are."""
    allowed = _allowed_ids(actor)
    academy_ids = allowed
    if wanted.academy_id is not None:
        known = 0 < wanted.academy_id <= MAX_ID and db.session.get(Academy, wanted.academy_id) is not None
        if not known or (allowed is not None and wanted.academy_id not in allowed):
            raise NotFoundError(_("No such academy."), field="academy")
        academy_ids = {wanted.academy_id}
    if wanted.course_id is not None and not _course_visible(academy_ids, wanted.course_id):
        raise NotFoundError(_("No such course."), field="course")
    if wanted.cohort_id is not None:
        cohort = db.session.get(Cohort, wanted.cohort_id) if 0 < wanted.cohort_id <= MAX_ID else None
        if cohort is None or (academy_ids is not None and cohort.academy_id not in academy_ids):
            raise NotFoundError(_("No such cohort."), field="cohort")
    if wanted.profession and wanted.profession not in PROFESSIONS:
        raise DomainError(_("Unknown profession '%(value)s'.", value=wanted.profession), field="profession")
    if wanted.country and wanted.country not in COUNTRIES:
        raise DomainError(_("Unknown country '%(value)s'.", value=wanted.country), field="country")
    if wanted.since and wanted.until and wanted.since > wanted.until:
        raise DomainError(_("The start date is after the end date."), field="since")
    return ExportFilters(
        academy_ids=frozenset(academy_ids) if academy_ids is not None else None,
        course_id=wanted.course_id,
        cohort_id=wanted.cohort_id,
        profession=wanted.profession,
        country=wanted.country,
        since=wanted.since,
        until=wanted.until,
    )


def _course_visible(academy_ids: set[int] | None, course_id: int) -> bool:
    if not 0 < course_id <= MAX_ID:
        return False
    return db.session.scalar(_courses_of(academy_ids, select(Course.id).where(Course.id == course_id))) is not None


def _check(actor: User | None, kind: str, filters: ExportFilters) -> None:
    """Refuse an unknown kind, and filters reaching beyond the actor's academies (ExportFilters can be built
    by anyone, so the scope is checked again here)."""
    if kind not in KINDS:
        raise DomainError(_("Unknown kind of records '%(kind)s'.", kind=kind), field="kind")
    allowed = _allowed_ids(actor)
    if allowed is not None and (filters.academy_ids is None or not filters.academy_ids <= allowed):
        raise NotFoundError(_("No such academy."), field="academy")


# --- the use cases ----------------------------------------------------------------------------------------


def preview(actor: User | None, kind: str, filters: ExportFilters, limit: int = PREVIEW_ROWS) -> list[Sequence[Cell]]:
    """The first ``limit`` rows of an export as the file will hold them (not audited: it is a page, like the
    course report on screen)."""
    _check(actor, kind, filters)
    make = cells_maker(kind)
    return [make(row) for row in db.session.connection().execute(query(kind, filters).limit(limit))]


@dataclass
class Export:
    """An export checked and ready to stream: iterate :meth:`chunks` once; it is audited when done (or cut
    short: then with the rows written so far and ``complete`` false)."""

    actor: User | None
    kind: str
    fmt: str
    filters: ExportFilters
    rows: int = 0
    job_id: int | None = None  # set when a background job (records.export_jobs) writes the file

    @property
    def filename(self) -> str:
        return f"{self.kind}-{utcnow().date().isoformat()}.{EXTENSIONS[self.fmt]}"

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.fmt]

    def chunks(self) -> Iterator[bytes]:
        source = _statements(self.filters, self.kind) if self.fmt == "xapi" else stream_rows(self.kind, self.filters)
        counter, complete = _Counter(source), False
        try:
            yield from self._write(iter(counter))
            complete = True
        finally:
            source.close()  # cut short: close the cursor now, before the audit's commit
            self.rows = counter.count
            self._audit(complete)

    def _write(self, rows: Iterator) -> Iterator[bytes]:
        if self.fmt == "xapi":
            return _json_array(rows)
        keys, header = zip(*columns(self.kind), strict=True)
        if self.fmt == "csv":
            return write_csv(header, rows)
        if self.fmt == "json":
            return write_json(keys, rows)
        return write_xlsx(kind_labels()[self.kind], header, rows)

    def _audit(self, complete: bool) -> None:
        if not complete:
            db.session.rollback()  # whatever went wrong, the audit row still goes in
        ids = self.filters.academy_ids
        details = {
            "kind": self.kind,
            "format": self.fmt,
            "filters": self.filters.describe(),
            "rows": self.rows,
            "complete": complete,
        }
        if self.job_id is not None:
            details["job"] = self.job_id
        audit.record(
            "records.exported",
            actor=self.actor,
            academy_id=next(iter(ids)) if ids is not None and len(ids) == 1 else None,
            details=details,
        )
        db.session.commit()


def _statements(filters: ExportFilters, kind: str) -> Iterator[dict]:
    # Imported when the first statement is wanted: the xAPI part of the plugin may build on this module.
    from records.xapi.statements import iter_statements

    yield from iter_statements(filters, kind)


def start_export(actor: User | None, kind: str, fmt: str, filters: ExportFilters) -> Export:
    """Check that ``actor`` may export ``kind`` of records in ``fmt`` with ``filters`` (raises DomainError or
    NotFoundError before anything is written) and return the export to stream."""
    _check(actor, kind, filters)
    if fmt not in FORMATS:
        raise DomainError(_("Unknown format '%(format)s'.", format=fmt), field="format")
    return Export(actor, kind, fmt, filters)


def export(actor: User | None, kind: str, fmt: str, filters: ExportFilters, out: IO[bytes]) -> int:
    """Write an export to the binary file ``out``; returns the number of rows (or statements). Audited."""
    job = start_export(actor, kind, fmt, filters)
    for chunk in job.chunks():
        out.write(chunk)
    return job.rows
