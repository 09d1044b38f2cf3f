"""The certificates plugin's entry point."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.plugins import Plugin, plugin_enabled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CourseBlock:
    """A line of the "About this course" list on a course page."""

    label: object
    value: str


def on_course_completed(sender: Flask, user, course, enrolment, **_extra) -> None:
    """``course_completed``: issue the course's certificates. A failure is logged, never shown to the learner
    who just finished (``lms certificates sync`` issues what is missing)."""
    if not plugin_enabled(sender, "certificates"):
        return
    from certificates.issuing import issue_for_completion

    try:
        issue_for_completion(enrolment)
    except Exception:
        log.exception("certificates for enrolment %s not issued", enrolment.id)
        _rollback()


def on_attempt_graded(sender: Flask, attempt, **_extra) -> None:
    """``attempt_graded``: a renewal quiz passed renews a certificate; a better grade may meet an accreditation's
    minimum quiz grade after the course was completed."""
    if not plugin_enabled(sender, "certificates") or not attempt.passed:
        return
    from sqlalchemy import select

    from certificates.issuing import issue_for_completion, renew_by_quiz
    from courses.models import Enrolment
    from lms.extensions import db

    try:
        renew_by_quiz(attempt)
        enrolment = db.session.scalar(
            select(Enrolment).where(
                Enrolment.user_id == attempt.user_id,
                Enrolment.course_id == attempt.quiz.course_id,
                Enrolment.completed_at.is_not(None),
            )
        )
        if enrolment is not None:
            issue_for_completion(enrolment)
    except Exception:
        log.exception("certificates after attempt %s not issued", attempt.id)
        _rollback()


def _rollback() -> None:
    from lms.extensions import db

    db.session.rollback()


def course_blocks(course) -> list[CourseBlock]:
    """The course page's accreditation lines: academy, hours, curriculum code (one query)."""
    from certificates.accreditations import course_accreditations
    from certificates.verification import hours_number

    blocks = []
    for accreditation in course_accreditations([course.id]).get(course.id, []):
        value = _l(
            "%(academy)s: %(hours)s CPD hours, curriculum code %(code)s",
            academy=accreditation.academy.name,
            hours=hours_number(accreditation.credit_hours),
            code=accreditation.curriculum_code,
        )
        blocks.append(CourseBlock(_l("Accredited"), str(value)))
    return blocks


def _my_panel(user) -> dict:
    from certificates.expiry import expiring
    from certificates.transcripts import transcript

    return {"record": transcript(user), "expiring": expiring(user=user)}


def _registrar_panel(user) -> dict:
    from certificates.expiry import expiring
    from certificates.transcripts import registrar_scope

    return {"expiring": expiring(academy_ids=registrar_scope(user))[:10]}


class CertificatesPlugin(Plugin):
    """Accreditation, certificates (issue, PDF, verification, revocation, expiry, recertification), transcripts.
    Requires the courses plugin; reacts to ``course_completed`` and ``attempt_graded``."""

    name = "certificates"
    requires = ("courses",)
    default_config = {
        "CERTIFICATES_VERIFY_RATE_LIMIT": "30 per minute;300 per hour",
        "CERTIFICATES_RENEWAL_WINDOW_DAYS": 90,
        "CERTIFICATES_QR_SCALE": 4,
    }

    def init_app(self, app: Flask) -> None:
        """Register the models, the pages, nav items, dashboard panels, the course-page block, the
        accreditation part of course packages, the demo accreditations, the commands and the receivers."""
        from certificates import models  # noqa: F401 - registers the tables with the metadata
        from certificates.admin_views import bp as admin_bp
        from certificates.cli import certificates_group
        from certificates.demo import load_demo
        from certificates.jobs import register_job_kinds
        from certificates.package_part import PART
        from certificates.privacy import init_app as init_privacy
        from certificates.views import bp
        from lms import signals
        from lms.cli import add_command
        from lms.dashboard import DashboardPanel, add_dashboard_panel
        from lms.nav import NavItem, add_nav_item
        from lms.registry import registry

        init_privacy(app)  # the certificates part of a user's data download
        app.register_blueprint(bp)
        app.register_blueprint(admin_bp)
        add_command(app, certificates_group)
        register_job_kinds(app)  # the cohort issue and the expiry reminders, on the core's job system
        add_nav_item(app, NavItem("certificates", _l("Certificates"), "certificates.mine", "login", 40))
        add_nav_item(
            app,
            NavItem("accreditations", _l("Accreditation"), "certificates_admin.accreditation_list", "registrar", 84),
        )
        add_dashboard_panel(
            app,
            DashboardPanel(
                "certificates", _l("Your certificates"), "certificates/panel_mine.html", ("any",), 15, _my_panel
            ),
        )
        add_dashboard_panel(
            app,
            DashboardPanel(
                "certificates-expiring",
                _l("Certificates expiring within 90 days"),
                "certificates/panel_expiring.html",
                ("registrar",),
                40,
                _registrar_panel,
            ),
        )
        registry("course_detail_blocks", app).register("certificates", course_blocks)
        registry("course_package_parts", app).register("accreditation", PART)
        registry("demo", app).register("certificates", load_demo)
        signals.course_completed.connect(on_course_completed)
        signals.attempt_graded.connect(on_attempt_graded)
