"""Courses in the learner's language (courses.languages): which version is read, the notices, Serbian in both
scripts, outdated translations, progress the same whatever the language, the catalog across translations, and
translations through course packages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from courses import authoring, languages, packages, progress
from courses import enrolment as enrolments
from courses.models import LessonProgress
from tests.conftest import login, post_form

# The notices, by their marks: the same whichever language the page is in.
NOT_TRANSLATED = 'data-notice="lesson-fallback"'
NOT_AVAILABLE = 'data-notice="course-fallback"'
ORIGINAL_CHANGED = 'data-notice="lesson-outdated"'


def translate(obj, kind: str, lang: str, **texts: str) -> None:
    """Give ``obj`` a translation made from its current source texts (as the trainer's form saves one)."""
    values = dict(texts) | {"source_hash": languages.object_hash(kind, obj)}
    obj.translations = {**(obj.translations or {}), lang: values}


@pytest.fixture
def bosnian_course(make_course, db):
    """A Bosnian course translated into Albanian: the course, its module and its first lesson (not the second)."""
    course = make_course(
        modules=1, lessons=2, publish=False, language="bs", title="Zaštita djece na internetu", slug="zastita"
    )
    course.summary = "Kurs za policiju."
    module = course.modules[0]
    first, second = module.lessons
    first.title, first.body_markdown = "Znakovi upozorenja", "Dijete se **povlači** u sebe."
    second.title, second.body_markdown = "Prijava", "Kome se prijavljuje."
    translate(course, "course", "sq", title="Mbrojtja e fëmijëve në internet", summary="Kurs për policinë.")
    translate(module, "module", "sq", title="Moduli i parë")
    translate(first, "lesson", "sq", title="Shenjat paralajmëruese", body_markdown="Fëmija **tërhiqet** në vetvete.")
    db.session.commit()
    authoring.publish(None, course)
    return course


@pytest.fixture
def serbian_course(make_course, db):
    """A course written in Serbian Latin, without translations."""
    course = make_course(
        modules=1, lessons=1, publish=False, language="sr_Latn", title="Zaštita dece", slug="zastita-dece"
    )
    lesson = course.modules[0].lessons[0]
    lesson.title, lesson.body_markdown = "Ljubav i njega", "## Dete u opasnosti\n\nDete traži pomoć."
    db.session.commit()
    authoring.publish(None, course)
    return course


def lesson_ids(course) -> list[int]:
    return [lesson.id for module in course.modules for lesson in module.lessons]


def enrolled_client(app, make_user, course, language: str | None):
    """A signed-in client of a new learner with interface ``language``, enrolled in ``course``."""
    user = make_user(language=language)
    enrolments.self_enrol(user, course)
    client = app.test_client()
    login(client, user)
    return client, user


# --- choose(): which version a reader gets (pure) ------------------------------------------------------------


def course_stub(language: str, *translated: str):
    return SimpleNamespace(id=1, language=language, translations={lang: {"title": lang} for lang in translated})


@pytest.mark.parametrize(
    ("source", "translated", "wanted", "key", "script", "fallback", "lang"),
    [
        ("bs", ("sq",), "bs", "", None, False, "bs"),  # the source itself
        ("bs", ("sq",), "sq", "sq", None, False, "sq"),  # a translation
        ("bs", ("sq",), "mk", "", None, True, "bs"),  # no version in the wanted language: the source, marked
        ("sr_Latn", (), "sr_Cyrl", "", "Cyrl", False, "sr_Cyrl"),  # the source in the other script
        ("sr_Cyrl", (), "sr_Latn", "", "Latn", False, "sr_Latn"),
        ("en", ("sr_Latn",), "sr_Cyrl", "sr_Latn", "Cyrl", False, "sr_Cyrl"),  # a translation in the other script
        ("en", ("sr_Latn", "sr_Cyrl"), "sr_Cyrl", "sr_Cyrl", "Cyrl", False, "sr_Cyrl"),  # its own script first
        ("en", ("sr_Cyrl",), "sr", "sr_Cyrl", "Cyrl", False, "sr_Cyrl"),  # plain "sr" is Cyrillic
        ("sr_Latn", (), "sr", "", "Cyrl", False, "sr_Cyrl"),
        ("en", ("sq",), "sr_Latn", "", None, True, "en"),
    ],
)
def test_choose(source, translated, wanted, key, script, fallback, lang):
    reading = languages.choose(course_stub(source, *translated), wanted)
    assert (reading.key, reading.script, reading.fallback, reading.lang) == (key, script, fallback, lang)
    assert reading.source == source


def test_offered_languages_add_the_other_serbian_script():
    assert languages.offered_languages(course_stub("bs", "sq")) == ["bs", "sq"]
    assert languages.offered_languages(course_stub("sr_Latn")) == ["sr_Latn", "sr_Cyrl"]
    assert languages.offered_languages(course_stub("en", "sr_Cyrl", "sq")) == ["en", "sq", "sr_Cyrl", "sr_Latn"]
    assert languages.course_languages(course_stub("en", "sr_Cyrl", "sq")) == ["en", "sq", "sr_Cyrl"]


def test_a_text_missing_from_a_translation_falls_back_to_the_source():
    reading = languages.choose(course_stub("bs", "sq"), "sq")
    translations = {"sq": {"title": "Titulli", "outdated": True}}
    assert reading.text("Naslov", translations, "title") == languages.Shown("Titulli", "sq", False, True)
    assert reading.text("Sažetak", translations, "summary") == languages.Shown("Sažetak", "bs", True)
    assert reading.text("", translations, "summary") == languages.Shown("", "bs")  # nothing to fall back to


def test_serbian_texts_are_shown_in_the_readers_script():
    reading = languages.choose(course_stub("sr_Latn"), "sr_Cyrl")
    shown = reading.text("Ljubav i njega", {}, "title")
    assert (shown.text, shown.lang, shown.fallback) == ("Љубав и њега", "sr_Cyrl", False)
    body = reading.text('<a href="https://example.org/dete">Dete</a>', {}, "body", markup=True)
    assert body.text == '<a href="https://example.org/dete">Дете</a>'  # the link target stays as written
    # A Cyrillic translation read by a Latin reader of an English course.
    reading = languages.choose(course_stub("en", "sr_Cyrl"), "sr_Latn")
    shown = reading.text("Love and care", {"sr_Cyrl": {"title": "Љубав и њега"}}, "title")
    assert (shown.text, shown.lang) == ("Ljubav i njega", "sr_Latn")


# --- hashes: outdated translations (pure) --------------------------------------------------------------------


def test_a_translation_is_outdated_once_its_source_changes():
    lesson = SimpleNamespace(title="Naslov", body_markdown="Tekst", content_notice=None)
    current = languages.object_hash("lesson", lesson)
    translation = {"title": "Titulli", "source_hash": current}
    assert not languages.is_outdated(translation, current)
    lesson.body_markdown = "Novi tekst"
    changed = languages.object_hash("lesson", lesson)
    assert changed != current and languages.is_outdated(translation, changed)
    assert not languages.is_outdated({"title": "Titulli"}, changed)  # made before hashes were kept
    assert not languages.is_outdated(None, changed)


def test_stamp_and_export_keep_outdated_marks():
    stamped = languages.stamp({"sq": {"title": "A"}, "mk": {"title": "Б", "outdated": True}}, "h1")
    assert stamped == {"sq": {"title": "A", "source_hash": "h1"}, "mk": {"title": "Б", "source_hash": ""}}
    assert languages.for_export(stamped, "h1") == {"mk": {"title": "Б", "outdated": True}, "sq": {"title": "A"}}
    assert languages.for_export(stamped, "h2") == {
        "mk": {"title": "Б", "outdated": True},
        "sq": {"title": "A", "outdated": True},
    }


# --- what learners read --------------------------------------------------------------------------------------


def test_an_albanian_learner_reads_the_albanian_lesson_without_a_notice(app, make_user, bosnian_course):
    client, _user = enrolled_client(app, make_user, bosnian_course, "sq")
    first = lesson_ids(bosnian_course)[0]
    page = client.get(f"/learn/zastita/lessons/{first}").get_data(as_text=True)
    assert "Shenjat paralajmëruese" in page and "<strong>tërhiqet</strong>" in page
    assert "Znakovi upozorenja" not in page and "povlači" not in page
    assert 'lang="sq"' in page and "Moduli i parë" in page
    assert NOT_TRANSLATED not in page and NOT_AVAILABLE not in page and ORIGINAL_CHANGED not in page
    detail = client.get("/courses/zastita").get_data(as_text=True)
    assert "Mbrojtja e fëmijëve në internet" in detail and "Kurs për policinë." in detail
    assert NOT_AVAILABLE not in detail


def test_an_untranslated_lesson_is_shown_in_the_source_with_a_notice(app, make_user, bosnian_course):
    client, _user = enrolled_client(app, make_user, bosnian_course, "sq")
    second = lesson_ids(bosnian_course)[1]
    page = client.get(f"/learn/zastita/lessons/{second}").get_data(as_text=True)
    assert "Prijava" in page and "Kome se prijavljuje." in page
    assert NOT_TRANSLATED in page and "Shqip" in page and "Bosanski" in page
    assert '<article class="lesson" lang="bs">' in page


def test_a_learner_of_a_language_without_translation_reads_the_source_with_a_notice(app, make_user, bosnian_course):
    client, _user = enrolled_client(app, make_user, bosnian_course, "mk")
    first = lesson_ids(bosnian_course)[0]
    page = client.get(f"/learn/zastita/lessons/{first}").get_data(as_text=True)
    assert "Znakovi upozorenja" in page and "<strong>povlači</strong>" in page
    assert "Shenjat" not in page
    assert NOT_AVAILABLE in page and "Македонски" in page
    detail = client.get("/courses/zastita").get_data(as_text=True)
    assert "Zaštita djece na internetu" in detail and NOT_AVAILABLE in detail
    # The version shown is marked as the current one; the other is offered.
    assert '<strong aria-current="true" lang="bs">Bosanski</strong>' in detail
    assert 'href="/courses/zastita?read=sq"' in detail and "?read=bs" not in detail


def test_a_cyrillic_reader_of_a_latin_serbian_lesson_reads_cyrillic(app, make_user, serbian_course):
    client, _user = enrolled_client(app, make_user, serbian_course, "sr_Cyrl")
    lesson_id = lesson_ids(serbian_course)[0]
    page = client.get(f"/learn/zastita-dece/lessons/{lesson_id}").get_data(as_text=True)
    assert "Љубав и њега" in page and "<h2>Дете у опасности</h2>" in page and "Дете тражи помоћ." in page
    assert "Ljubav i njega" not in page and "Dete traži" not in page
    assert '<article class="lesson" lang="sr-Cyrl">' in page
    assert NOT_TRANSLATED not in page and NOT_AVAILABLE not in page
    assert '<strong aria-current="true" lang="sr-Cyrl">' in page and 'href="/learn/zastita-dece/lessons/' in page
    # The same learner may pick the script the course is written in.
    page = client.get(f"/learn/zastita-dece/lessons/{lesson_id}?read=sr_Latn").get_data(as_text=True)
    assert "Ljubav i njega" in page and "Dete traži pomoć." in page and "Љубав" not in page


def test_a_visitor_asking_for_plain_serbian_reads_cyrillic(client, serbian_course):
    page = client.get("/courses/zastita-dece", headers={"Accept-Language": "sr"}).get_data(as_text=True)
    assert '<h1 lang="sr-Cyrl">Заштита деце</h1>' in page and NOT_AVAILABLE not in page


def test_a_pick_is_remembered_per_course_and_can_be_forgotten(app, make_user, bosnian_course, make_course, db):
    other = make_course(modules=1, lessons=1, publish=False, language="bs", title="Drugi kurs", slug="drugi")
    translate(other, "course", "sq", title="Kursi tjetër")
    db.session.commit()
    authoring.publish(None, other)
    client, _user = enrolled_client(app, make_user, bosnian_course, "bs")
    assert "Zaštita djece na internetu" in client.get("/courses/zastita").get_data(as_text=True)
    assert "Mbrojtja e fëmijëve" in client.get("/courses/zastita?read=sq").get_data(as_text=True)
    # Kept for this course, on its lessons too ...
    assert "Mbrojtja e fëmijëve" in client.get("/courses/zastita").get_data(as_text=True)
    first = lesson_ids(bosnian_course)[0]
    assert "Shenjat paralajmëruese" in client.get(f"/learn/zastita/lessons/{first}").get_data(as_text=True)
    # ... and only for it.
    assert "Drugi kurs" in client.get("/courses/drugi").get_data(as_text=True)
    # A language the course does not offer changes nothing shown and forgets the pick.
    page = client.get("/courses/zastita?read=mk").get_data(as_text=True)
    assert "Zaštita djece na internetu" in page and NOT_AVAILABLE not in page
    client.get("/courses/zastita?read=sq")
    page = client.get("/courses/zastita?read=").get_data(as_text=True)
    assert "Zaštita djece na internetu" in page and "Mbrojtja" not in page


def test_an_outdated_translation_is_read_with_a_notice(app, make_user, users, bosnian_course, db):
    early, _user = enrolled_client(app, make_user, bosnian_course, "sq")
    first = bosnian_course.modules[0].lessons[0]
    lesson_id = first.id
    first.body_markdown = "Dijete se povlači u sebe i šuti."
    db.session.commit()
    assert languages.is_outdated(first.translations["sq"], languages.object_hash("lesson", first))
    authoring.publish(None, bosnian_course)
    # A learner enrolled before still reads their version, whose translation was current.
    page = early.get(f"/learn/zastita/lessons/{lesson_id}").get_data(as_text=True)
    assert "tërhiqet" in page and ORIGINAL_CHANGED not in page
    late, _user = enrolled_client(app, make_user, bosnian_course, "sq")
    page = late.get(f"/learn/zastita/lessons/{lesson_id}").get_data(as_text=True)
    assert "tërhiqet" in page and ORIGINAL_CHANGED in page
    # Readers of the source are not told about the translation.
    page = late.get(f"/learn/zastita/lessons/{lesson_id}?read=bs").get_data(as_text=True)
    assert "i šuti" in page and ORIGINAL_CHANGED not in page
    # Moved to the new version, the early learner sees the notice as well.
    enrolments.migrate_learners(users["admin"], bosnian_course)
    page = early.get(f"/learn/zastita/lessons/{lesson_id}").get_data(as_text=True)
    assert ORIGINAL_CHANGED in page


def test_progress_is_the_same_whatever_the_language(app, make_user, bosnian_course, db):
    client, user = enrolled_client(app, make_user, bosnian_course, "en")
    first, second = lesson_ids(bosnian_course)
    url = f"/learn/zastita/lessons/{first}"
    assert "Shenjat paralajmëruese" in client.get(f"{url}?read=sq").get_data(as_text=True)
    response = post_form(client, f"{url}/complete", page=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/lessons/{second}")
    enrolment = enrolments.enrolment_of(user, bosnian_course)
    rows = db.session.scalars(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)).all()
    assert [(r.lesson_id, r.completed_at is not None) for r in rows] == [(first, True)]
    assert progress.build_outline(enrolment).percent == 50
    # Read in the source, the same lesson is complete and the same one comes next.
    page = client.get(f"{url}?read=bs").get_data(as_text=True)
    assert "You have completed this lesson." in page and "50%" in page
    assert f'rel="next" href="/learn/zastita/lessons/{second}"' in page
    url = f"/learn/zastita/lessons/{second}"
    post_form(client, f"{url}/complete", page=url)
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    count = db.session.scalar(select(func.count()).where(LessonProgress.enrolment_id == enrolment.id))
    assert count == 2


# --- the catalog ---------------------------------------------------------------------------------------------


@pytest.fixture
def catalog_courses(make_course, db):
    """An English course translated into Serbian Latin, a Macedonian one, and an untranslated English one."""
    english = make_course(title="Online child protection", slug="online", language="en", publish=False)
    translate(english, "course", "sr_Latn", title="Zaštita dece na internetu", summary="Kurs za sudije.")
    macedonian = make_course(title="Заштита на децата", slug="mk-course", language="mk", publish=False)
    db.session.commit()
    authoring.publish(None, english)
    authoring.publish(None, macedonian)
    make_course(title="Forensic interviews", slug="forensic", language="en")
    return english


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("language=sr_Latn", {"online"}),
        ("language=sr_Cyrl", {"online"}),  # the other script of the Serbian translation
        ("language=mk", {"mk-course"}),
        ("language=en", {"online", "forensic"}),
        ("language=sq", set()),
        ("q=zaštita dece", {"online"}),  # the translated title, as written
        ("q=ЗАШТИТА ДЕЦЕ", {"online"}),  # the translated title, in Cyrillic and capitals
        ("q=sudije", {"online"}),  # the translated summary
        ("q=судије", {"online"}),
        ("q=child protection", {"online"}),  # the source title
        ("q=заштита на", {"mk-course"}),
        ("language=sr_Cyrl&q=заштита", {"online"}),
    ],
)
def test_catalog_filters_and_search_across_translations(client, catalog_courses, query, expected):
    page = client.get(f"/catalog?{query}").get_data(as_text=True)
    found = {slug for slug in ("online", "mk-course", "forensic") if f'href="/courses/{slug}"' in page}
    assert found == expected


def test_the_catalog_shows_a_readers_translation_in_their_script(client, catalog_courses):
    page = client.get("/catalog", headers={"Accept-Language": "sr-Cyrl"}).get_data(as_text=True)
    assert "Заштита деце на интернету" in page and "Online child protection" not in page
    page = client.get("/catalog", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Online child protection" in page and "Zaštita dece na internetu" not in page


# --- course packages -----------------------------------------------------------------------------------------


def test_a_package_round_trip_keeps_translations_and_outdated_marks(db, academy, bosnian_course, tmp_path):
    module = bosnian_course.modules[0]
    first, second = module.lessons
    translate(second, "lesson", "sq", title="Raportimi", body_markdown="Kujt i raportohet.")
    first.body_markdown = "Dijete se povlači u sebe i šuti."  # the Albanian translation of the first is now outdated
    db.session.commit()
    files = packages.export_files(bosnian_course)
    assert files["course.yaml"].decode().count("outdated: true") == 1
    assert files[f"lessons/{module.slug}/{first.slug}.sq.md"] == "Fëmija **tërhiqet** në vetvete.\n".encode()
    packages.write_package(files, tmp_path / "pkg")
    bosnian_course.slug = "zastita-old"  # so that the package makes a new course
    db.session.commit()
    assert packages.import_package(tmp_path / "pkg", academy=academy).action == "created"
    copy = packages.get_course("zastita")
    copy_first, copy_second = copy.modules[0].lessons
    assert copy.translations["sq"]["title"] == "Mbrojtja e fëmijëve në internet"
    assert copy.modules[0].translations["sq"]["title"] == "Moduli i parë"
    assert copy_first.translations["sq"]["body_markdown"] == "Fëmija **tërhiqet** në vetvete."
    assert copy_second.translations["sq"]["title"] == "Raportimi"
    assert languages.is_outdated(copy_first.translations["sq"], languages.object_hash("lesson", copy_first))
    assert not languages.is_outdated(copy_second.translations["sq"], languages.object_hash("lesson", copy_second))
    assert not languages.is_outdated(copy.translations["sq"], languages.object_hash("course", copy))
    # The copy exports exactly what the original did, the outdated mark included.
    assert packages.export_files(copy) == files
    # Published on import, its version keeps the mark for learners.
    _modules, lessons = progress.version_outline(copy.current_version_id, copy.current_version.published_at.isoformat())
    assert {info.lesson_id: info.translations["sq"]["outdated"] for info in lessons} == {
        copy_first.id: True,
        copy_second.id: False,
    }


def test_saving_an_imported_outdated_translation_makes_it_current(db, academy, bosnian_course, tmp_path):
    """Re-importing the package once the translation is brought up to date drops the mark."""
    first = bosnian_course.modules[0].lessons[0]
    first.body_markdown = "Dijete se povlači u sebe i šuti."
    db.session.commit()
    files = packages.export_files(bosnian_course)
    assert b"outdated: true" in files["course.yaml"]
    files["course.yaml"] = files["course.yaml"].replace(b"outdated: true", b"outdated: false")
    packages.write_package(files, tmp_path / "pkg")
    assert packages.import_package(tmp_path / "pkg", academy=academy).action == "updated"
    db.session.refresh(first)
    assert not languages.is_outdated(first.translations["sq"], languages.object_hash("lesson", first))
