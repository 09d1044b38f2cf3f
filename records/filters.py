"""What a records export (or an xAPI statement run) covers: one value shared by the export page, ``lms records
export``, the xAPI statements and the LRS push.

Scope rule (the same as the REST API's): a registrar of academy A sees the enrolments, progress and quiz
attempts in courses A owns and the certificates A issued; an administrator may see every academy
(``academy_ids=None``). ``academy_ids`` is always set from who asks, never from what they typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

KINDS = ("enrolments", "progress", "results", "certificates")
FORMATS = ("csv", "xlsx", "json", "xapi")


@dataclass(frozen=True)
class ExportFilters:
    """``academy_ids`` None means every academy (administrators only). Dates are inclusive UTC days: a row
    counts when its own date (enrolled, last activity, attempt submitted, certificate issued) falls in range."""

    academy_ids: frozenset[int] | None = None
    course_id: int | None = None
    cohort_id: int | None = None
    profession: str = ""
    country: str = ""
    since: date | None = None
    until: date | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> dict:
        """The filters as plain values, for the audit log."""
        return {
            "academies": sorted(self.academy_ids) if self.academy_ids is not None else "all",
            "course": self.course_id,
            "cohort": self.cohort_id,
            "profession": self.profession or None,
            "country": self.country or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
