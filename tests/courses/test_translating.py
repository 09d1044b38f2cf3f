"""The trainer's translation pages: the status table of a course and the form translating one of its texts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from courses import authoring, languages, translating
from courses import enrolment as enrolments
from lms.models import AuditEvent
from tests.conftest import csrf_token, login, post_form


def translate(obj, kind: str, lang: str, **texts: str) -> None:
    values = dict(texts) | {"source_hash": languages.object_hash(kind, obj)}
    obj.translations = {**(obj.translations or {}), lang: values}


@pytest.fixture
def course(make_course, db):
    """A Bosnian course: the course, its first module and first lesson translated into Albanian; the first
    lesson's original changed since (outdated); the other texts untranslated."""
    course = make_course(modules=2, lessons=2, publish=False, language="bs", title="Zaštita djece", slug="zastita")
    course.summary = "Kratak kurs."
    first = course.modules[0].lessons[0]
    translate(course, "course", "sq", title="Mbrojtja e fëmijëve")
    translate(course.modules[0], "module", "sq", title="Moduli i parë")
    translate(first, "lesson", "sq", title="Shenjat", body_markdown="Fëmija tërhiqet.")
    first.body_markdown = "Dijete se povlači u sebe."
    db.session.commit()
    authoring.publish(None, course)
    return course


def edit_url(course, kind: str, item_id: int, lang: str = "sq") -> str:
    return f"/teach/{course.id}/translations/{kind}/{item_id}/{lang}"


# --- access ---------------------------------------------------------------------------------------------------


@pytest.fixture
def people(users, make_user, other_academy):
    return users | {"other trainer": make_user("trainer2", roles={other_academy: ["trainer"]})}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("learner", 403),
        ("registrar", 403),
        ("other trainer", 404),
        ("trainer", 200),
        ("admin", 200),
    ],
)
@pytest.mark.parametrize("page", ["table", "edit"])
def test_access(client, people, course, role, expected, page):
    if role != "anonymous":
        login(client, people[role])
    lesson = course.modules[0].lessons[0]
    url = f"/teach/{course.id}/translations" if page == "table" else edit_url(course, "lesson", lesson.id)
    response = client.get(url)
    assert response.status_code == expected
    if role == "anonymous":
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["learner", "other trainer"])
def test_others_cannot_save_a_translation(app, client, people, course, role, db):
    lesson = course.modules[0].lessons[0]
    trainer = app.test_client()
    login(trainer, people["trainer"])
    token = csrf_token(trainer, edit_url(course, "lesson", lesson.id))  # a valid form, posted by someone else
    login(client, people[role])
    response = client.post(edit_url(course, "lesson", lesson.id), data={"title": "X", "csrf_token": token})
    assert response.status_code in (400, 403, 404)
    db.session.refresh(lesson)
    assert lesson.translations["sq"]["title"] == "Shenjat"


@pytest.mark.parametrize(
    "path",
    [
        "lesson/{lesson}/bs",  # the course's own language
        "lesson/{lesson}/xx",  # not a language of the installation
        "quiz/{lesson}/sq",  # not a kind of text
        "course/{other}/sq",  # another course as "the course"
        "lesson/{other_lesson}/sq",  # another course's lesson
        "module/{other_module}/sq",
    ],
)
def test_edit_pages_of_anything_else_are_not_found(client, users, course, make_course, path):
    other = make_course(modules=1, lessons=1)
    url = f"/teach/{course.id}/translations/" + path.format(
        lesson=course.modules[0].lessons[0].id,
        other=other.id,
        other_lesson=other.modules[0].lessons[0].id,
        other_module=other.modules[0].id,
    )
    login(client, users["trainer"])
    assert client.get(url).status_code == 404


# --- the status table -----------------------------------------------------------------------------------------


def test_status_of_each_text(course, users):
    table = translating.translation_status(users["trainer"], course)
    assert table.languages == ["sq"]
    statuses = [(row.kind, row.item.title, row.statuses["sq"]) for row in table.rows]
    assert statuses == [
        ("course", "Zaštita djece", "incomplete"),  # the summary is not translated
        ("module", "Module 1", "translated"),
        ("lesson", "Lesson 1.1", "outdated"),
        ("lesson", "Lesson 1.2", "missing"),
        ("module", "Module 2", "missing"),
        ("lesson", "Lesson 2.1", "missing"),
        ("lesson", "Lesson 2.2", "missing"),
    ]
    assert table.counts == {"sq": {"translated": 1, "outdated": 1, "incomplete": 1, "missing": 4}}
    assert table.offered("sq")
    # A language being started is a column of its own, where everything is missing.
    table = translating.translation_status(users["trainer"], course, ("mk",))
    assert table.languages == ["sq", "mk"] and table.counts["mk"]["missing"] == 7 and not table.offered("mk")


def test_the_table_page_links_every_cell_to_its_form(client, users, course):
    login(client, users["trainer"])
    outline = client.get(f"/teach/{course.id}/outline").get_data(as_text=True)
    assert f'href="/teach/{course.id}/translations"' in outline
    page = client.get(f"/teach/{course.id}/translations").get_data(as_text=True)
    assert "Shqip" in page and "Lesson 2.2" in page and "Module 2" in page
    lesson = course.modules[0].lessons[0]
    assert f'href="{edit_url(course, "lesson", lesson.id)}"' in page
    assert f'href="{edit_url(course, "course", course.id)}"' in page
    assert f'href="{edit_url(course, "module", course.modules[1].id)}"' in page
    assert page.count("status-outdated") == 1 and page.count("status-missing") == 4
    choices = page.split('<select id="lang" name="lang">', 1)[1].split("</select>", 1)[0]
    assert 'value="mk"' in choices and 'value="en"' in choices
    assert 'value="sq"' not in choices and 'value="bs"' not in choices
    page = client.get(f"/teach/{course.id}/translations?lang=mk").get_data(as_text=True)
    assert "Македонски" in page and f'href="{edit_url(course, "lesson", lesson.id, "mk")}"' in page
    assert "Learners cannot choose Македонски yet" in page
    page = client.get(f"/teach/{course.id}/translations?lang=bs").get_data(as_text=True)
    assert f'href="{edit_url(course, "lesson", lesson.id, "bs")}"' not in page


# --- the form -------------------------------------------------------------------------------------------------


def test_saving_an_outdated_translation_brings_it_up_to_date(client, users, course, db):
    lesson = course.modules[0].lessons[0]
    url = edit_url(course, "lesson", lesson.id)
    login(client, users["trainer"])
    page = client.get(url).get_data(as_text=True)
    assert "The original has changed since this translation was saved" in page
    assert "Dijete se povlači u sebe." in page and "Fëmija tërhiqet." in page  # the source beside the field
    response = post_form(
        client, url, {"title": "Shenjat", "body_markdown": "Fëmija tërhiqet në vetvete.", "content_notice": ""}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    db.session.refresh(lesson)
    assert lesson.translations["sq"]["body_markdown"] == "Fëmija tërhiqet në vetvete."
    assert not languages.is_outdated(lesson.translations["sq"], languages.object_hash("lesson", lesson))
    assert translating.status_of("lesson", lesson, "sq") == "translated"
    page = client.get(url).get_data(as_text=True)
    assert "The original has changed" not in page and "once the course is published again" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.translation_saved")).one()
    assert (event.object_type, event.object_id, event.actor_id) == ("Lesson", str(lesson.id), users["trainer"].id)
    assert event.details["language"] == "sq" and event.details["fields"] == ["body_markdown", "title"]
    table = client.get(f"/teach/{course.id}/translations").get_data(as_text=True)
    assert "status-outdated" not in table
    # Published, learners read it without the notice.
    authoring.publish(None, course)
    enrolments.self_enrol(users["learner"], course)
    users["learner"].language = "sq"
    db.session.commit()
    learner = client.application.test_client()
    login(learner, users["learner"])
    page = learner.get(f"/learn/zastita/lessons/{lesson.id}").get_data(as_text=True)
    assert "në vetvete" in page and "The original of this lesson has changed" not in page


def test_a_script_in_a_translated_body_is_removed_like_in_the_source(client, users, course, make_user, db):
    lesson = course.modules[0].lessons[1]
    url = edit_url(course, "lesson", lesson.id)
    login(client, users["trainer"])
    body = "## Raportimi\n\nTekst <script>alert('x')</script> **i rëndësishëm**.\n\n<img src=x onerror=alert(2)>"
    post_form(client, url, {"title": "Raportimi", "body_markdown": body})
    db.session.refresh(lesson)
    assert lesson.translations["sq"]["body_markdown"] == body  # kept as written, sanitized when shown
    page = client.get(url).get_data(as_text=True)
    preview = page.split("Preview of the saved text", 1)[1].split("</section>", 1)[0]
    assert "<h2>Raportimi</h2>" in preview and "<strong>i rëndësishëm</strong>" in preview
    assert "<script" not in preview and "onerror" not in preview
    assert "<script>alert" not in page
    authoring.publish(None, course)
    learner = make_user(language="sq")
    enrolments.self_enrol(learner, course)
    reader = client.application.test_client()
    login(reader, learner)
    page = reader.get(f"/learn/zastita/lessons/{lesson.id}").get_data(as_text=True)
    assert "<strong>i rëndësishëm</strong>" in page
    assert "<script>alert" not in page and "onerror" not in page


def test_module_and_course_translations(client, users, course, make_user, db):
    module = course.modules[1]
    login(client, users["trainer"])
    url = edit_url(course, "module", module.id)
    page = client.get(url).get_data(as_text=True)
    assert 'name="summary"' in page and 'name="body_markdown"' not in page
    post_form(client, url, {"title": "Moduli i dytë", "summary": "Përmbledhja."})
    db.session.refresh(module)
    assert module.translations["sq"]["title"] == "Moduli i dytë"
    assert translating.status_of("module", module, "sq") == "translated"
    # The course's own title is read from the draft at once: a new language becomes one learners can pick.
    url = edit_url(course, "course", course.id, "mk")
    response = post_form(client, url, {"title": "Заштита на децата", "summary": ""})
    assert response.status_code == 302
    db.session.refresh(course)
    assert "mk" in languages.offered_languages(course)
    page = client.application.test_client().get("/courses/zastita?read=mk").get_data(as_text=True)
    assert "Заштита на децата" in page


def test_saving_every_text_empty_removes_the_translation(client, users, course, db):
    module = course.modules[0]
    login(client, users["trainer"])
    post_form(client, edit_url(course, "module", module.id), {"title": "  ", "summary": ""})
    db.session.refresh(module)
    assert "sq" not in module.translations
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "course.translation_removed"))


def test_a_post_without_the_csrf_token_saves_nothing(client, users, course, db):
    lesson = course.modules[0].lessons[0]
    login(client, users["trainer"])
    response = client.post(edit_url(course, "lesson", lesson.id), data={"title": "Changed"})
    assert response.status_code in (200, 400)
    db.session.refresh(lesson)
    assert lesson.translations["sq"]["title"] == "Shenjat"


def test_the_service_refuses_the_source_language_and_strangers(course, users, make_user, other_academy):
    from lms.exceptions import DomainError, NotFoundError

    lesson = course.modules[0].lessons[0]
    with pytest.raises(DomainError):
        translating.save_translation(users["trainer"], "lesson", lesson, "bs", {"title": "Naslov"})
    stranger = make_user(roles={other_academy: ["trainer"]})
    with pytest.raises(NotFoundError):
        translating.save_translation(stranger, "lesson", lesson, "sq", {"title": "X"})
    with pytest.raises(NotFoundError):
        translating.translation_status(stranger, course)
