"""Registration of the xAPI part of the records plugin: the LRS settings pages and their nav item, the signal
receivers that fill the outbox, the push job kind, ``lms records xapi-push``, and the outbox's place in the
privacy registries (retention purge, data download) and on ``user_anonymised``."""

from __future__ import annotations

import json
import logging
import sys

import click
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms import signals
from lms.extensions import db
from lms.plugins import plugin_enabled
from records.filters import ExportFilters

log = logging.getLogger(__name__)


# Receivers: each event queues its statements for the academies whose push is on, then asks for a push. -----


def _queue(sender: Flask, kind: str, where, verbs: set[str] | None = None) -> None:
    """Queue the statements of one changed row. Never fails the request that sent the signal: its own work is
    committed already, and a statement missed here is still in the export."""
    if not plugin_enabled(sender, "records"):
        return
    from records.xapi import services
    from records.xapi import statements as xs

    try:
        pushing = services.pushing_academies()
        if not pushing:  # the usual case: one query and nothing else
            return
        items = xs.queued_statements(ExportFilters(academy_ids=frozenset(pushing)), kind, where)
        academies = services.queue(q for q in items if verbs is None or q.verb in verbs)
    except Exception:
        db.session.rollback()
        log.exception("xAPI statements of a %s event could not be queued", kind)
        return
    for academy_id in sorted(academies):
        services.schedule_push(academy_id)


def on_course_enrolled(sender: Flask, enrolment, **_extra) -> None:
    from courses.models import Enrolment

    _queue(sender, "enrolments", Enrolment.id == enrolment.id, {"registered"})


def on_course_completed(sender: Flask, enrolment, **_extra) -> None:
    from courses.models import Enrolment

    _queue(sender, "enrolments", Enrolment.id == enrolment.id, {"completed"})


def on_lesson_completed(sender: Flask, enrolment, lesson_id: int, **_extra) -> None:
    """*completed*, and *launched* with the time the lesson was first opened (no signal tells of a view)."""
    from courses.models import LessonProgress

    where = (LessonProgress.enrolment_id == enrolment.id) & (LessonProgress.lesson_id == lesson_id)
    _queue(sender, "progress", where)


def on_attempt_started(sender: Flask, attempt, **_extra) -> None:
    from quizzes.models import Attempt

    _queue(sender, "results", Attempt.id == attempt.id, {"attempted"})


def on_attempt_graded(sender: Flask, attempt, **_extra) -> None:
    from quizzes.models import Attempt

    _queue(sender, "results", Attempt.id == attempt.id, {"passed", "failed"})


def on_certificate_issued(sender: Flask, certificate, **_extra) -> None:
    from certificates.models import Certificate

    _queue(sender, "certificates", Certificate.id == certificate.id)


def on_user_anonymised(sender: Flask, user, **_extra) -> None:
    """Erase what the outbox holds about the person (records.xapi.services.erase_user)."""
    if not plugin_enabled(sender, "records"):
        return
    from records.xapi import services

    services.erase_user(user)


RECEIVERS = (
    ("course_enrolled", on_course_enrolled),
    ("course_completed", on_course_completed),
    ("lesson_completed", on_lesson_completed),
    ("attempt_started", on_attempt_started),
    ("attempt_graded", on_attempt_graded),
    ("certificate_issued", on_certificate_issued),
    ("user_anonymised", on_user_anonymised),
)


# The push job --------------------------------------------------------------------------------------------


def run_push_job(ctx) -> dict:
    """Job ``records.xapi_push``: push the academy's pending statements. A failing LRS raises, so the job system
    tries again after a back-off; what was sent stays sent, the rest pending."""
    from records.xapi.push import push_pending

    # Statements queued while this job runs find it running (one job per academy) and do not start another: so
    # go round again while the last round moved something and more are waiting. `lms records xapi-push` from
    # cron catches the few that arrive in the instant between the last count and the job's end.
    total = {"sent": 0, "failed": 0, "pending": 0}
    for _round in range(20):
        result = push_pending(int(ctx.params["academy_id"]), progress=ctx.progress)
        if "skipped" in result:
            return result
        total = {
            "sent": total["sent"] + result["sent"],
            "failed": total["failed"] + result["failed"],
            "pending": result["pending"],
        }
        if not result["pending"] or not (result["sent"] or result["failed"]):
            break
    return total


# Command line --------------------------------------------------------------------------------------------


@click.command("xapi-push")
@click.option("--academy", "slug", help="Only this academy (its slug); default: every academy whose push is on.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document: the counts per academy.")
def xapi_push_command(slug: str | None, as_json: bool) -> None:
    """Send the pending xAPI statements to the academies' learning record stores now."""
    from lms.models import Academy
    from records.xapi.push import PushError, push_pending
    from records.xapi.services import pushing_academies

    if slug:
        academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
        if academy is None:
            click.echo(f"--academy: no academy '{slug}'", err=True)
            sys.exit(1)
        academies = [academy]
    else:
        ids = pushing_academies()
        academies = list(db.session.scalars(select(Academy).where(Academy.id.in_(ids)).order_by(Academy.slug)))
    report, failed = {}, False
    for academy in academies:
        try:
            report[academy.slug] = push_pending(academy.id)
        except PushError as exc:
            failed = True
            report[academy.slug] = {"error": str(exc)}
            click.echo(f"{academy.slug}: the LRS failed, the statements stay pending: {exc}", err=True)
    if as_json:
        click.echo(json.dumps(report))
    else:
        for name, counts in report.items():
            if "error" not in counts:
                line = f"{name}: {counts['sent']} sent, {counts['failed']} refused, {counts['pending']} pending"
                click.echo(line + (" (push is off)" if counts.get("skipped") else ""))
    if failed:
        sys.exit(1)


# init_app ------------------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Register the LRS pages, the receivers, the push job kind, the command and the privacy hooks."""
    from lms import jobs
    from lms.nav import NavItem, add_nav_item
    from lms.registry import registry
    from records.cli import records_group
    from records.xapi import services  # its models register the tables with the metadata
    from records.xapi.views import bp

    app.register_blueprint(bp)
    add_nav_item(app, NavItem("lrs", _l("Learning record store"), "lrs.lrs_list", "registrar", 87))
    for name, receiver in RECEIVERS:
        getattr(signals, name).connect(receiver)
    jobs.register(services.JOB_KIND, run_push_job, max_attempts=8, label=_l("xAPI push to the LRS"), app=app)
    records_group(app).add_command(xapi_push_command)
    registry("data_retention", app).register("xapi_statements", services.purge_sent)
    registry("personal_data", app).register("xapi_statements", services.personal_data)
