"""Registrars manage cohorts of their academy only."""

from __future__ import annotations

from sqlalchemy import select

from lms.models import Cohort
from tests.conftest import login, post_form


def test_registrar_creates_a_cohort_and_adds_members(client, users, academy, make_user, other_academy, db):
    member = make_user("m1", roles={academy: ["learner"]})
    outsider = make_user("o1", roles={other_academy: ["learner"]})
    login(client, users["registrar"])
    response = post_form(client, "/cohorts/", {"name": "Intake 2026/1", "academy": academy.id})
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Intake 2026/1"))
    assert response.headers["Location"] == f"/cohorts/{cohort.id}"
    page = f"/cohorts/{cohort.id}"
    response = post_form(client, page, {"people": f"{member.email}\n{outsider.email}"})
    assert outsider.email in response.get_data(as_text=True) and len(cohort.members) == 0  # all or nothing
    post_form(client, page, {"people": f"{member.email}\n{member.username}"})
    db.session.refresh(cohort)
    assert [m.user_id for m in cohort.members] == [member.id]
    post_form(client, f"{page}/members/{member.id}/remove", page=page)
    db.session.refresh(cohort)
    assert cohort.members == []


def test_other_academys_cohort_is_invisible(client, users, other_academy, db):
    cohort = Cohort(academy_id=other_academy.id, name="Theirs")
    db.session.add(cohort)
    db.session.commit()
    login(client, users["registrar"])
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404
    assert "Theirs" not in client.get("/cohorts/").get_data(as_text=True)
    response = post_form(client, "/cohorts/", {"name": "Sneaky", "academy": other_academy.id})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
