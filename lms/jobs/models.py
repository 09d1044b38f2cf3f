"""The :class:`Job` row: one background job of any kind, its parameters, progress, attempts and result."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.base import UTCDateTime, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


UNFINISHED = (JobState.QUEUED.value, JobState.RUNNING.value)
# The same predicate in SQL, for the partial unique index on ``key``.
_UNFINISHED_SQL = text("state IN ('queued', 'running')")


class Job(db.Model):
    """A background job: ``kind`` names the registered function, ``params`` its JSON arguments.

    The row is the source of truth whatever runs it (RQ, a thread, the ``lms worker`` loop): a runner claims a
    queued job whose ``run_after`` has passed, and a failed attempt puts it back with a later ``run_after``.
    ``updated_at`` moves with every progress report, so a running job whose ``updated_at`` is old lost its worker.
    ``key`` makes :func:`lms.jobs.enqueue` idempotent: at most one unfinished job holds a key (a partial unique
    index), and once it ends the key may start a new job.
    """

    __tablename__ = "lms_job"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name="state_known"),
        CheckConstraint("done >= 0 AND total >= 0 AND attempts >= 0 AND max_attempts >= 1", name="counts_valid"),
        Index("ix_lms_job_state_run_after", "state", "run_after"),
        Index(
            "uq_lms_job_key_unfinished",
            "key",
            unique=True,
            sqlite_where=_UNFINISHED_SQL,
            postgresql_where=_UNFINISHED_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("lms_academy.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED

    @property
    def percent(self) -> int:
        """Progress in per cent (a finished job without a total is 100)."""
        if self.total:
            return min(round(100 * self.done / self.total), 100)
        return 100 if self.state == JobState.FINISHED else 0

    def visible_to(self, user) -> bool:
        """Its creator and administrators may see a job."""
        return bool(user is not None and (user.is_admin or (self.created_by_id and self.created_by_id == user.id)))
