"""Expiry: what expires within 90 days, and reminder mails 60 and 14 days before, each sent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from certificates import expiry
from certificates.models import Certificate, Reminder
from certificates.verification import revoke_certificate
from lms.models.base import utcnow
from tests.certificates.conftest import complete_course
from tests.conftest import csrf_token, login


@pytest.fixture
def certificates(db, make_course, accredit, academy, other_academy, make_user):
    """Four certificates of one holder, expiring in 10, 45, 80 and 200 days."""
    holder = make_user("holder", display_name="Xhulja Çela", roles={academy: ["learner"]}, language="sq")
    rows = []
    for days in (10, 45, 80, 200):
        course = make_course(title=f"Course expiring in {days}")
        accredit(course, other_academy, code=f"JA-{days}")
        complete_course(holder, course)
        row = db.session.scalars(select(Certificate).order_by(Certificate.id.desc()).limit(1)).one()
        row.expires_on = utcnow().date() + timedelta(days=days)
        rows.append(row)
    db.session.commit()
    return holder, rows


def test_holders_and_registrars_see_what_expires_within_90_days(db, certificates, other_academy, academy):
    holder, rows = certificates
    assert [c.curriculum_code for c in expiry.expiring(user=holder)] == ["JA-10", "JA-45", "JA-80"]
    assert len(expiry.expiring(academy_ids={other_academy.id})) == 3
    assert expiry.expiring(academy_ids={academy.id}) == []


def test_the_pages_list_what_expires(client, db, certificates, make_user, other_academy):
    holder, _rows = certificates
    login(client, holder)
    page = client.get("/certificates/").get_data(as_text=True)
    assert "Course expiring in 45" in page and "Course expiring in 200" in page
    # The holder reads the app in their language (Albanian in the fixture).
    with force_locale(holder.language):
        notice = ngettext(
            "%(num)d certificate expires within 90 days.", "%(num)d certificates expire within 90 days.", 3
        )
    assert str(notice) in client.get("/dashboard").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    login(client, make_user("reg", roles={other_academy: ["registrar"]}))
    page = client.get("/certificates/manage/issued").get_data(as_text=True)
    assert page.count("Xhulja Çela") >= 4 and "Course expiring in 80" in page


def test_reminders_go_out_at_60_and_14_days_once_each(db, certificates, outbox):
    holder, rows = certificates
    first = expiry.send_reminders()
    assert sorted(first.sent) == sorted([(rows[0].serial, 14), (rows[1].serial, 60)])
    assert [m["To"] for m in outbox] == [holder.email, holder.email]
    assert rows[0].serial in outbox[0]["Subject"] + outbox[1]["Subject"]
    assert expiry.send_reminders().sent == []  # each reminder once

    # Thirty days later the 45-day one is at 15 days (its 60 sent already), the 80-day one reaches 50.
    later = expiry.send_reminders(today=utcnow().date() + timedelta(days=30))
    assert later.sent == [(rows[2].serial, 60)]
    later = expiry.send_reminders(today=utcnow().date() + timedelta(days=32))
    assert later.sent == [(rows[1].serial, 14)]


def test_revoked_or_renewed_certificates_get_no_reminder(db, certificates, outbox):
    holder, rows = certificates
    revoke_certificate(None, rows[0], "Issued in error")
    renewal = Certificate(
        **{
            k: getattr(rows[1], k)
            for k in (
                "academy_id",
                "year",
                "accreditation_id",
                "source",
                "user_id",
                "holder_name",
                "course_title",
                "language",
                "academy_name",
                "curriculum_code",
                "credit_hours",
                "template",
                "signatories",
                "completed_on",
                "issued_on",
                "issued_at",
            )
        },  # fmt: skip
        code="R" * 20,
        serial="JUDI-RENEWAL",
        number=999,
        issue_key=f"renews:{rows[1].id}",
        renews_id=rows[1].id,
        expires_on=utcnow().date() + timedelta(days=700),
    )
    db.session.add(renewal)
    db.session.commit()
    assert expiry.send_reminders().sent == []
    assert [c.serial for c in expiry.expiring(user=holder)] == [rows[2].serial]


def test_a_failed_mail_is_tried_again_next_run(db, certificates, monkeypatch, outbox):
    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(expiry, "send_mail", broken)
    report = expiry.send_reminders()
    assert len(report.failed) == 2 and report.sent == []
    assert db.session.scalars(select(Reminder)).all() == []
    monkeypatch.undo()
    assert len(expiry.send_reminders().sent) == 2


def test_the_remind_command(runner, certificates, outbox):
    result = runner.invoke(args=["lms", "certificates", "remind"])
    assert result.exit_code == 0 and "2 reminder(s) sent" in result.output
    assert "0 reminder(s) sent" in runner.invoke(args=["lms", "certificates", "remind"]).output
