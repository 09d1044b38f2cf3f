"""Progress reports per course (and cohort): one row per learner, the same on screen and in the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from courses.models import Course, Enrolment, EnrolmentStatus
from courses.progress import summaries
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


@dataclass
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
    labels = {
        EnrolmentStatus.ACTIVE: _("in progress"),
        EnrolmentStatus.COMPLETED: _("completed"),
        EnrolmentStatus.UNENROLLED: _("unenrolled"),
    }

    def day(value) -> str:
        return value.date().isoformat() if value else ""

    return [
        ReportRow(
            name=s.enrolment.user.display_name,
            email=s.enrolment.user.email,
            profession=str(PROFESSIONS.get(s.enrolment.user.profession, s.enrolment.user.profession)),
            country=str(COUNTRIES.get(s.enrolment.user.country, s.enrolment.user.country)),
            status=str(labels[s.enrolment.status]),
            progress=100 if s.enrolment.completed_at else s.percent,
            enrolled_on=day(s.enrolment.enrolled_at),
            last_activity=day(s.enrolment.last_activity_at),
            completed_on=day(s.enrolment.completed_at),
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
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def report_csv(rows: list[ReportRow]) -> Iterator[str]:
    """The report as CSV lines (UTF-8 with a BOM so spreadsheets read Cyrillic and diacritics correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow(report_columns())
    for row in rows:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    row.name,
                    row.email,
                    row.profession,
                    row.country,
                    row.status,
                    row.progress,
                    row.enrolled_on,
                    row.last_activity,
                    row.completed_on,
                )
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
