"""Administrators create and edit academies; the short name is unique; changes are audited."""

from __future__ import annotations

from sqlalchemy import select

from lms.models import Academy, AuditEvent
from tests.conftest import login, post_form


def test_admin_creates_and_edits_an_academy(client, users, db):
    login(client, users["admin"])
    response = post_form(client, "/academies/new", {"name": "Pravosudna akademija", "slug": "pa-hr", "country": "HR"})
    assert response.status_code == 302
    academy = db.session.scalar(select(Academy).where(Academy.slug == "pa-hr"))
    assert academy.name == "Pravosudna akademija" and academy.country == "HR"
    post_form(
        client,
        f"/academies/{academy.id}",
        {"name": "Pravosudna akademija RH", "slug": "pa-hr", "country": "HR"},
    )
    db.session.refresh(academy)
    assert academy.name == "Pravosudna akademija RH"
    assert "Pravosudna akademija RH" in client.get("/academies/").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Academy")).all()
    assert {"academy.created", "academy.changed"} <= set(actions)


def test_short_names_are_unique_and_checked(client, users, academy):
    login(client, users["admin"])
    response = post_form(client, "/academies/new", {"name": "Copy", "slug": academy.slug, "country": "RS"})
    assert response.status_code == 200 and "already uses this short name" in response.get_data(as_text=True)
    response = post_form(client, "/academies/new", {"name": "Bad", "slug": "Bad Slug!", "country": "RS"})
    assert "lowercase letters" in response.get_data(as_text=True)
