"""The three journeys of issue 8 in a real browser, each step screenshotted (in the folder printed at the start,
under the page's language) and every page checked by axe-core through the `page` fixture:

- the learner's, in Albanian and in Serbian Cyrillic: switch the interface language, find a course for their
  profession in their language in the catalog (and see the notice on a course that has no version in it), enrol,
  learn, leave, resume where they stopped, take the timed final assessment with a reload in the middle, and open,
  download and publicly verify their certificate;
- the trainer's, in Macedonian: author a course with a module and a lesson, import a GIFT file with an essay
  question, make a quiz of it, enrol a cohort, grade a learner's essay, read the item analysis;
- the registrar's: accredit a course, record in-person completions (one learner, then a list), revoke a
  certificate and see /verify say so, export the completion records.

The journeys find controls by their ids, names and link targets rather than by their (translated) labels, so the
same steps run in every language. Set-up that is not part of a journey (accounts, a cohort, the certificate the
learner's e-course would earn after all of its 23 lessons and 7 quizzes) is made through the services."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEMO_PASSWORD, audited, shot
from tests.browser.test_core_journeys import sign_in

COURSE = "multi-agency-response-ocsea"  # for police officers; translated into sq and sr_Latn (so sr_Cyrl too)
ENGLISH_ONLY = "digital-forensics-first-responders"  # for police officers too; no translation
# One police officer per language, so that each run starts from nothing whatever ran before in the session.
LEARNERS = {
    "sq": ("journey-sq", "Drita Berisha", "AL"),
    "sr_Cyrl": ("journey-sr", "Милица Јовановић", "RS"),
}
TRAINER_LANGUAGE = "mk"  # its catalog is complete
GIFT = """$CATEGORY: Journey

::journey-essay::Опишете како би го започнале разговорот со детето.{}

::journey-mc::Кој чекор ја намалува ретрауматизацијата?{=Едно снимено интервју ~Интервју од секоја агенција}
"""
ESSAY = "I would introduce myself, explain who will watch the recording and ask an open question."


def html_lang(code: str) -> str:
    """The ``lang`` attribute of a page in the locale ``code`` (sr_Cyrl → sr-Cyrl)."""
    return code.replace("_", "-")


def switch_language(page: Page, code: str) -> None:
    page.select_option("#language-select", code)  # the script submits on change
    expect(page.locator("html")).to_have_attribute("lang", html_lang(code))


def demo_academy():
    from sqlalchemy import select

    from lms.extensions import db
    from lms.models import Academy

    return db.session.scalar(select(Academy).where(Academy.slug == "demo"))


def new_account(username: str, name: str, country: str, profession: str = "police_officer"):
    """A learner of the demo academy who signs in with the demo password and reads English to start with."""
    from lms.accounts.services import NewUser, create_user

    return create_user(
        None,
        NewUser(
            email=f"{username}@journeys.example",
            display_name=name,
            username=username,
            profession=profession,
            country=country,
            language="en",
            academy=demo_academy(),
            password=DEMO_PASSWORD,
        ),
    )


# --- the learner ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def learners(live_server) -> dict[str, dict]:
    """Per language: a new police officer, the texts they should read (the course, its first two lessons) and the
    certificate of the course, issued here as the academy would after they complete all of it."""
    from sqlalchemy import select

    from certificates.issuing import issue_certificate
    from certificates.models import Accreditation
    from courses.languages import choose
    from courses.models import Course
    from lms.extensions import db
    from quizzes.models import Quiz

    found = {}
    with live_server["app"].app_context():
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        accreditation = db.session.scalar(
            select(Accreditation).where(
                Accreditation.course_id == course.id, Accreditation.academy_id == demo_academy().id
            )
        )
        final = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.module_id.is_(None)))
        first, second = course.modules[0].lessons[:2]
        for lang, (username, name, country) in LEARNERS.items():
            user = new_account(username, name, country)
            reading = choose(course, lang)
            assert not reading.fallback, f"{COURSE} has a version in {lang}"
            certificate = issue_certificate(None, accreditation, user, date.today() - timedelta(days=1))
            found[lang] = {
                "username": username,
                "name": name,
                "course": str(reading.text(course.title, course.translations, "title")),
                "lessons": [str(reading.text(x.title, x.translations, "title")) for x in (first, second)],
                "final": final.id,
                "certificate": certificate.id,
                "code": certificate.code,
                "serial": certificate.serial,
            }
    return found


def answer_page(page: Page) -> list[tuple[str, str]]:
    """Answer every question on this attempt page (the first choice, "24" in a text field, the second option of a
    list); return (selector, expected value) pairs to check them by after a reload."""
    answered = []
    form = page.locator("#attempt-form")
    for section in form.locator("section.question").all():
        choice = section.locator("input[type=radio], input[type=checkbox]")
        if choice.count():
            choice.first.check()
            answered.append((f"#{choice.first.get_attribute('id')}", "checked"))
        for field in section.locator("input:not([type=radio]):not([type=checkbox]):not([type=hidden]), textarea").all():
            field.fill("24")
            answered.append((f"#{field.get_attribute('id')}", "24"))
        for select in section.locator("select").all():
            value = select.locator("option").nth(1).get_attribute("value")
            select.select_option(value)
            answered.append((f"#{select.get_attribute('id')}", value))
    return answered


@pytest.mark.parametrize("lang", list(LEARNERS))
def test_learner_journey(page: Page, browser: Browser, live_server, learners, lang):
    base, me = live_server["url"], learners[lang]
    step = iter(range(1, 100))

    def snap(name: str) -> None:
        shot(page, f"learner-{next(step):02d}-{name}")

    # Sign in and switch the interface to the learner's language (kept on their account).
    sign_in(page, live_server, me["username"])
    switch_language(page, lang)
    snap("dashboard")

    # The catalog, filtered to their profession and language: the translated course, not the English-only one.
    page.locator("header a[href='/catalog']").first.click()
    page.select_option("#profession", "police_officer")
    page.select_option("#language", lang)
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"profession=police_officer.*language={lang}"))
    cards = page.locator("ul.cards")
    expect(cards.locator(f"a[href='/courses/{COURSE}']")).to_have_text(me["course"])
    expect(cards.locator(f"a[href='/courses/{ENGLISH_ONLY}']")).to_have_count(0)
    snap("catalog")

    # Without the language filter the English-only course is listed too, and its page says it is not in theirs.
    page.select_option("#language", "")
    page.locator("form.filters button[type=submit]").click()
    page.locator(f"ul.cards a[href='/courses/{ENGLISH_ONLY}']").click()
    expect(page.locator("main .notice[role=note]")).to_be_visible()
    expect(page.locator("h1")).to_have_attribute("lang", "en")
    snap("course-not-translated")
    page.go_back()
    page.go_back()

    # The course in their language; enrol, which opens the first lesson.
    page.locator(f"ul.cards a[href='/courses/{COURSE}']").click()
    expect(page.locator("h1")).to_have_text(me["course"])
    expect(page.locator("h1")).to_have_attribute("lang", html_lang(lang))
    expect(page.locator("main .notice[role=note]")).to_have_count(0)
    snap("course")
    page.locator(f"form[action='/courses/{COURSE}/enrol'] button").click()
    expect(page.locator("article.lesson h1")).to_have_text(me["lessons"][0])
    snap("lesson")

    # Mark it done: the next lesson opens. Leave for the dashboard, come back, resume at that lesson.
    page.locator("form[action$='/complete'] button").click()
    expect(page.locator("article.lesson h1")).to_have_text(me["lessons"][1])
    snap("next-lesson")
    page.locator("header a[href='/dashboard']").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto(f"{base}/courses/{COURSE}")
    expect(page.locator("main progress").first).not_to_have_attribute("value", "0")
    snap("course-in-progress")
    page.locator(f"main a.button[href='/learn/{COURSE}']").click()
    expect(page.locator("article.lesson h1")).to_have_text(me["lessons"][1])
    snap("resumed")

    # The timed final assessment, from the course's outline; a reload in the middle keeps the saved answers.
    page.goto(f"{base}/courses/{COURSE}")
    page.locator(f"ol.outline a[href='/learn/{COURSE}/quizzes/{me['final']}']").click()
    snap("quiz")
    page.locator("form[action$='/start'] button").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    expect(page.locator("#quiz-timer")).to_have_text(re.compile(r"\d+:\d\d"))
    expect(page.locator("section.question").first).to_have_attribute("lang", html_lang(lang))
    answered = answer_page(page)
    assert answered, "the first page has questions to answer"
    saved = page.locator("#attempt-form").get_attribute("data-msg-saved")
    expect(page.locator("#autosave-status")).to_have_text(re.compile("^" + re.escape(saved)), timeout=10_000)
    snap("attempt-answered")
    page.reload()
    for selector, value in answered:
        if value == "checked":
            expect(page.locator(selector)).to_be_checked()
        else:
            expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#quiz-timer")).to_have_text(re.compile(r"\d+:\d\d"))
    snap("attempt-after-reload")
    while page.locator("button[value=next]").count():
        page.locator("button[value=next]").click()
    page.locator("button[value=finish]").click()
    expect(page).to_have_url(re.compile(r"/summary$"))
    snap("attempt-summary")
    page.locator("form[action$='/submit'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/review$"))
    snap("attempt-review")

    # Their certificate: from the header's link, the transcript row, its page and its PDF.
    page.locator("header a[href='/certificates/']").first.click()
    page.locator(f"main a[href='/certificates/{me['certificate']}']").click()
    expect(page.locator("h1")).to_contain_text(me["serial"])
    shown_code = page.locator("main dl.facts code").inner_text().strip()  # grouped for reading: XXXXX-XXXXX-…
    assert shown_code.replace("-", "") == me["code"].replace("-", "")
    snap("certificate")
    with page.expect_download() as download:
        page.locator(f"a[href='/certificates/{me['certificate']}/pdf']").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert me["name"] in text, f"the holder's name is in the PDF: {text[:300]!r}"
    assert me["serial"] in text

    # Anyone can check it on the public page, without signing in (a fresh browser, in the learner's language).
    context = browser.new_context(locale=html_lang(lang))
    try:
        public = audited(context.new_page())
        public.goto(f"{base}/verify/{shown_code}")
        result = public.locator("section[aria-labelledby=result-heading]")
        expect(result).to_contain_text(me["name"])
        expect(result).to_contain_text(me["serial"])
        expect(result.locator(".badge-ok")).to_be_visible()
        expect(public.locator("header .user-link")).to_have_count(0)
        shot(public, f"learner-{next(step):02d}-verify")
    finally:
        context.close()


# --- the trainer ------------------------------------------------------------------------------------------------


@pytest.fixture
def back_to_english(live_server):
    """The journeys switch demo accounts to other languages; the other browser tests expect English."""
    yield
    from sqlalchemy import update

    from lms.extensions import db
    from lms.models import User

    with live_server["app"].app_context():
        db.session.execute(update(User).where(User.username.in_(["trainer", "registrar"])).values(language="en"))
        db.session.commit()


@pytest.fixture
def cohort(live_server) -> dict:
    """A cohort of two learners of the demo academy, made by its registrar (the cohorts page is theirs)."""
    from sqlalchemy import select

    from lms.cohorts.services import add_members, create_cohort
    from lms.extensions import db
    from lms.models import User

    with live_server["app"].app_context():
        registrar = db.session.scalar(select(User).where(User.username == "registrar"))
        group = create_cohort(registrar, demo_academy(), "Journey cohort: social services, spring")
        first = new_account("journey-sw1", "Amela Begić", "BA", profession="social_worker")
        second = new_account("journey-sw2", "Јована Петровска", "MK", profession="social_worker")
        added, missing = add_members(registrar, group, f"{first.username}\n{second.username}")
        assert (added, missing) == (2, [])
        return {"id": group.id, "name": group.name, "learner": first.id, "learner_name": first.display_name}


def submit_essay(app, quiz_id: int, user_id: int) -> None:
    """The learner's attempt, started and submitted through the service: the essay answered, the rest not."""
    from werkzeug.datastructures import MultiDict

    from lms.extensions import db
    from lms.models import User
    from quizzes import attempts
    from quizzes.models import Quiz

    with app.app_context():
        quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
        attempt = attempts.start_attempt(user, quiz)
        essay = next(i for i in attempt.items if i.version.qtype == "essay")
        form = MultiDict({f"q{essay.position}-answer": ESSAY})
        attempts.submit_attempt(attempt, attempt.seq, form, [essay.position])


def test_trainer_journey(page: Page, live_server, cohort, back_to_english, tmp_path):
    base = live_server["url"]
    step = iter(range(1, 100))

    def snap(name: str) -> None:
        shot(page, f"trainer-{next(step):02d}-{name}")

    sign_in(page, live_server, "trainer")
    switch_language(page, TRAINER_LANGUAGE)
    snap("dashboard")

    # A new course, a module, a lesson; then publish.
    page.locator("header a[href='/teach/']").first.click()
    snap("teaching")
    page.locator("main a[href='/teach/new']").click()
    page.fill("#title", "Разговор со дете жртва")
    page.fill("#slug", "journey-interview")
    page.fill("#summary", "Краток курс за социјални работници: како да се започне разговорот.")
    page.select_option("#language", TRAINER_LANGUAGE)
    page.check("input[name=professions][value=social_worker]")
    page.fill("#estimated_hours", "2")
    snap("course-new")
    page.locator("main form.narrow button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/teach/\d+/outline$"))
    outline = page.url
    course_id = int(re.search(r"/teach/(\d+)/", outline).group(1))
    page.fill("section.narrow #title", "Пред разговорот")
    page.locator("section.narrow form button[type=submit]").click()
    expect(page.locator("ol.outline h2")).to_have_text("Пред разговорот")
    snap("outline-module")
    page.locator("ol.outline a[href$='/lessons/new']").click()
    page.fill("#title", "Подготовка")
    page.fill("#body_markdown", "## Просторот\n\nМирна соба, **без** прекини.\n\n## Further reading\n\n- Barnahus")
    page.locator("form.lesson-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/teach/\d+/lessons/\d+$"))
    snap("lesson")
    page.goto(outline)
    expect(page.locator("ol.outline li li a").first).to_have_text("Подготовка")
    page.locator("form[action$='/publish'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    snap("published")

    # The question bank: import a GIFT file with an essay question.
    page.locator(f"nav.tabs a[href='/teach/{course_id}/questions']").click()
    gift = tmp_path / "journey.gift"
    gift.write_text(GIFT, encoding="utf-8")
    page.set_input_files("#import-file", str(gift))
    page.locator("form[action$='/questions/import'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main tbody th[scope=row]", has_text="journey-essay")).to_be_visible()
    snap("bank-imported")

    # A timed quiz of both questions.
    page.locator(f"nav.tabs a[href='/teach/{course_id}/quizzes']").click()
    page.locator(f"main a[href='/teach/{course_id}/quizzes/new']").click()
    page.fill("#title", "Проверка: разговорот")
    page.fill("#slug", "journey-check")
    page.fill("#time_limit_minutes", "20")
    snap("quiz-new")
    page.locator("main form.narrow button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+/questions$"))
    quiz_id = int(re.search(r"/quizzes/(\d+)/", page.url).group(1))
    chooser = page.locator("form[action$='/questions/add']")
    chooser.get_by_label("journey-essay").check()
    chooser.get_by_label("journey-mc").check()
    chooser.locator("button[type=submit]").click()
    expect(page.locator("main table tbody tr")).to_have_count(2)
    snap("quiz-questions")

    # Enrol the cohort.
    page.locator(f"nav.tabs a[href='/teach/{course_id}/enrolments']").click()
    page.select_option("#cohort-cohort", label=cohort["name"])
    page.locator("form:has(#cohort-cohort) button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main tbody tr", has_text=cohort["learner_name"])).to_be_visible()
    snap("enrolled")

    # One of them submits an attempt (outside this journey); the trainer grades the essay from the quiz's pages.
    submit_essay(live_server["app"], quiz_id, cohort["learner"])
    page.goto(f"{base}/teach/{course_id}/quizzes/{quiz_id}/questions")
    page.locator(f"nav.tabs a[href='/teach/{course_id}/quizzes/{quiz_id}/results']").click()
    expect(page.locator("main tbody", has_text=cohort["learner_name"])).to_be_visible()
    snap("results")
    page.locator(f"nav.tabs a[href='/teach/{course_id}/quizzes/{quiz_id}/grading']").click()
    item = page.locator("article.review-item")
    expect(item).to_have_count(1)
    expect(item.locator(".response")).to_have_text(ESSAY)
    snap("grading")
    item.locator("input[name$='-marks']").fill("1")
    item.locator("textarea[name$='-comment']").fill("Добар почеток: отворено прашање.")
    item.locator("button[type=submit]").click()
    expect(page.locator("article.review-item")).to_have_count(0)
    expect(page.locator("main p.notice")).to_be_visible()
    snap("graded")

    # The item analysis of the quiz.
    page.locator(f"nav.tabs a[href='/teach/{course_id}/quizzes/{quiz_id}/analysis']").click()
    expect(page.locator("table#summary")).to_be_visible()
    questions = page.locator("table#questions tbody")
    expect(questions).to_contain_text("journey-essay")
    expect(questions).to_contain_text("journey-mc")
    snap("analysis")


# --- the registrar ----------------------------------------------------------------------------------------------


@pytest.fixture
def in_person(live_server) -> dict:
    """A published course of the demo academy that no one has accredited yet, and two people who attended its
    in-person training."""
    from courses import authoring

    with live_server["app"].app_context():
        course = authoring.create_course(
            None,
            demo_academy(),
            authoring.CourseFields(
                title="Journey: joint interviews with the prosecutor", slug="journey-joint-interviews"
            ),
        )
        module = authoring.add_module(None, course, "Planning together")
        authoring.add_lesson(None, module, authoring.LessonFields(title="Who asks what"))
        authoring.publish(None, course)
        first = new_account("journey-attendee1", "Arta Gashi", "XK", profession="prosecutor")
        second = new_account("journey-attendee2", "Nikola Đurić", "ME", profession="prosecutor")
        return {
            "course": course.title,
            "first": {"email": first.email, "name": first.display_name},
            "second": {"email": second.email, "name": second.display_name},
        }


def test_registrar_journey(page: Page, browser: Browser, live_server, in_person, back_to_english):
    base = live_server["url"]
    completed_on = (date.today() - timedelta(days=3)).isoformat()
    reason = "Issued in error: the attendee left on the first day."
    step = iter(range(1, 100))

    def snap(name: str) -> None:
        shot(page, f"registrar-{next(step):02d}-{name}")

    sign_in(page, live_server, "registrar")
    snap("dashboard")

    # Accredit the course: curriculum code, CPD credit hours, validity.
    page.locator("header a[href='/certificates/manage/accreditations']").first.click()
    snap("accreditations")
    page.locator("main a[href='/certificates/manage/accreditations/new']").click()
    page.select_option("#course", label=in_person["course"])
    page.fill("#curriculum_code", "JRN-INT-101")
    page.fill("#credit_hours", "6")
    page.fill("#validity_months", "24")
    snap("accredit")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accreditations/\d+$"))
    expect(page.locator(".flash-success")).to_be_visible()
    snap("accredited")

    # Record one person's in-person completion: their certificate page opens.
    page.locator("main a[href$='/issue']").first.click()
    page.fill("#one-person", in_person["first"]["email"])
    page.fill("#one-completed_on", completed_on)
    snap("issue")
    page.locator("form:has(#one-person) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/certificates/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text(in_person["first"]["name"])
    facts = page.locator("main dl.facts")
    expect(facts).to_contain_text("JRN-INT-101")
    expect(facts).to_contain_text(completed_on)
    serial = re.search(r"\S+$", page.locator("h1").inner_text()).group(0)
    code = facts.locator("code").inner_text().strip()
    revoke_page = page.url
    snap("issued-one")

    # And the list of the others who attended (a CSV upload): the issued list shows them.
    page.go_back()
    attendees = f"email\n{in_person['second']['email']}\n".encode()
    page.set_input_files("#list-file", files=[{"name": "attendees.csv", "mimeType": "text/csv", "buffer": attendees}])
    page.fill("#list-completed_on", completed_on)
    page.locator("form:has(#list-file) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/certificates/manage/issued\?accreditation=\d+$"))
    expect(page.locator(".flash-success")).to_be_visible()
    rows = page.locator("main tbody")
    expect(rows).to_contain_text(in_person["second"]["name"])
    expect(rows).to_contain_text(serial)
    second_serial = rows.locator("tr", has_text=in_person["second"]["name"]).locator("th").inner_text().strip()
    snap("issued-list")

    # Revoke the first, with the reason; the public page says so.
    rows.locator(f"a:text-is('{serial}')").click()
    expect(page).to_have_url(revoke_page)
    page.fill("#reason", reason)
    page.locator("form[action$='/revoke'] button[type=submit]").click()
    expect(page.locator(".flash-info")).to_contain_text(serial)
    expect(page.locator("main dl.facts")).to_contain_text(reason)
    expect(page.locator("form[action$='/revoke']")).to_have_count(0)
    snap("revoked")
    context = browser.new_context()
    try:
        public = audited(context.new_page())
        public.goto(f"{base}/verify/{code}")
        expect(public.locator("#result-heading")).to_have_text("This certificate has been revoked.")
        expect(public.locator(".notice-error")).to_contain_text(reason)
        expect(public.locator(".badge-ok")).to_have_count(0)
        shot(public, f"registrar-{next(step):02d}-verify-revoked")
    finally:
        context.close()

    # Export the completion records: the certificates of the course, previewed and downloaded as CSV.
    response = page.goto(f"{base}/records/exports")
    assert response is not None and response.ok
    expect(page.locator("header a[href='/records/exports']")).to_have_count(1)  # the registrar's menu has it
    page.select_option("#kind", "certificates")
    page.select_option("#course", label=in_person["course"])
    page.select_option("#format", "csv")
    page.locator("main form button[type=submit]:not([formaction])").click()
    preview = page.locator("main table tbody")
    expect(preview).to_contain_text(serial)
    expect(preview).to_contain_text(second_serial)
    snap("export-preview")
    with page.expect_download() as download:
        page.locator("main form button[formaction$='/records/exports/download']").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as handle:
        records = {row["Serial number"]: row for row in csv.DictReader(handle)}
    assert set(records) == {serial, second_serial}
    assert records[serial]["Revoked on"] and not records[second_serial]["Revoked on"]
    assert records[second_serial]["Curriculum code"] == "JRN-INT-101"
    assert records[second_serial]["Completed on"] == completed_on
