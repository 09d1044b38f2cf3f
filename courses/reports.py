"""Progress reports per course (and cohort): one row per learner, the same on screen and in the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from courses.models import Course, Enrolment, EnrolmentStatus
from courses.progress import percent_done, summaries
from lms.extensions import db
from lms.models import COUNTRIES, PROFESSIONS, CohortMember, User

# Cells starting with these are escaped in CSV so a spreadsheet never runs them as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ReportFilters:
    cohort: int | None = None
    profession: str = ""
    country: str = ""
    status: str = ""


@dataclass(slots=True)  # made once per learner of an export: hundreds of thousands
class ReportRow:
    name: str
    email: str
    profession: str
    country: str
    status: str
    progress: int
    enrolled_on: str
    last_activity: str
    completed_on: str

    def cells(self) -> list[str | int]:
        """The row in the order of :func:`report_columns`."""
        return [
            self.name,
            self.email,
            self.profession,
            self.country,
            self.status,
            self.progress,
            self.enrolled_on,
            self.last_activity,
            self.completed_on,
        ]


def day(value: datetime | None) -> str:
    """A UTC time as its day, as the report shows it ("" for none)."""
    return value.date().isoformat() if value else ""


RowMaker = Callable[..., ReportRow]


def status_labels() -> dict[EnrolmentStatus, str]:
    """An enrolment's status as the report names it."""
    return {
        EnrolmentStatus.ACTIVE: _("in progress"),
        EnrolmentStatus.COMPLETED: _("completed"),
        EnrolmentStatus.UNENROLLED: _("unenrolled"),
    }


def report_row_maker() -> RowMaker:
    """A function from a learner's and an enrolment's plain values to a report row: the one place that formats
    them, for the page, its CSV and the records exports. Labels are translated once here, not once per row
    (an export formats hundreds of thousands of rows)."""
    professions = {key: str(label) for key, label in PROFESSIONS.items()}
    countries = {key: str(label) for key, label in COUNTRIES.items()}
    statuses = status_labels()

    def make(
        name: str,
        email: str,
        profession: str,
        country: str,
        status: EnrolmentStatus,
        completed: int,
        required: int,
        enrolled_at: datetime | None,
        last_activity_at: datetime | None,
        completed_at: datetime | None,
    ) -> ReportRow:
        return ReportRow(
            name=name,
            email=email,
            profession=professions.get(profession, profession),
            country=countries.get(country, country),
            status=statuses[status],
            progress=100 if completed_at else percent_done(completed, required),
            enrolled_on=day(enrolled_at),
            last_activity=day(last_activity_at),
            completed_on=day(completed_at),
        )

    return make


def report_rows(course: Course, filters: ReportFilters) -> list[ReportRow]:
    """Learners of ``course`` with progress, last activity and completion (three queries in all)."""
    query = select(Enrolment).join(User, User.id == Enrolment.user_id).where(Enrolment.course_id == course.id)
    if filters.cohort:
        query = query.where(
            Enrolment.user_id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == filters.cohort))
        )
    if filters.profession:
        query = query.where(User.profession == filters.profession)
    if filters.country:
        query = query.where(User.country == filters.country)
    if filters.status in {s.value for s in EnrolmentStatus}:
        query = query.where(Enrolment.status == EnrolmentStatus(filters.status))
    enrolments = list(db.session.scalars(query.order_by(User.display_name, User.id)))
    make = report_row_maker()
    return [
        make(
            s.enrolment.user.display_name,
            s.enrolment.user.email,
            s.enrolment.user.profession,
            s.enrolment.user.country,
            s.enrolment.status,
            s.completed,
            s.required,
            s.enrolment.enrolled_at,
            s.enrolment.last_activity_at,
            s.enrolment.completed_at,
        )
        for s in summaries(enrolments)
    ]


def report_columns() -> list[str]:
    return [
        _("Name"),
        _("E-mail address"),
        _("Profession"),
        _("Country"),
        _("Status"),
        _("Progress (%)"),
        _("Enrolled on"),
        _("Last activity"),
        _("Completed on"),
    ]


def csv_cell(value) -> str:
    """``value`` as CSV text, with a leading apostrophe when a spreadsheet would run it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def report_csv(rows: list[ReportRow]) -> Iterator[str]:
    """The report as CSV lines (UTF-8 with a BOM so spreadsheets read Cyrillic and diacritics correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow(report_columns())
    for row in rows:
        writer.writerow([csv_cell(v) for v in row.cells()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
