"""Accessibility (WCAG 2.2 AA) of the key pages of each kind of user, in English and Albanian: axe-core finds no
serious or critical violation (the `page` fixture checks every page shown), nothing scrolls sideways on a 360 px
phone nor at 640 px (a 1280 px screen at 200 % zoom), the skip link comes first and moves focus to the content,
the lesson page stays light and loads nothing from elsewhere, the quiz works without JavaScript and its timer is
announced at sensible moments. Screenshots of every page go to the folder printed at the start."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import audit_of, shot
from tests.browser.test_core_journeys import sign_in

LANGUAGES = ("en", "sq")
PHONE, ZOOMED, DESKTOP = 360, 640, 1280  # CSS pixels; 640 is a 1280 px wide screen at 200 % zoom
LESSON_BUDGET = 100 * 1024  # bytes of HTML, CSS and JavaScript, before media
GIFT = """$CATEGORY: Accessibility

::a11y-mc::Which step limits re-traumatisation?{=One recorded interview#Yes. ~An interview by every agency#No.}

::a11y-multi::Which are signs of grooming?{~%50%Secrecy requested ~%50%Gifts from a stranger ~%-100%Homework help}

::a11y-tf::Grooming often starts in online games.{T}

::a11y-sa::Name the Nordic child-friendly model.{=Barnahus}

::a11y-num::How many hours may pass before a forensic interview under the protocol?{#24}

::a11y-match::Match the agency to its role.{=Police -> investigates =Social services -> protects =Prosecutor -> charges}

::a11y-essay::Describe how you would open the interview.{}
"""


@pytest.fixture(scope="module")
def world(live_server) -> dict:
    """Content the key pages need: the learner enrolled in the demo course with the largest lesson, a certificate,
    a course of our own with a timed quiz of every GIFT question type and one finished attempt."""
    from sqlalchemy import func, select

    from certificates.accreditations import AccreditationFields, create_accreditation
    from certificates.issuing import issue_certificate
    from certificates.models import Accreditation
    from courses import authoring as course_authoring
    from courses.enrolment import enrol_users, self_enrol
    from courses.models import Course, Lesson, Module
    from lms.extensions import db
    from lms.models import Academy, User
    from quizzes import attempts, authoring, bank
    from quizzes.formats.gift import parse_gift

    app = live_server["app"]
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        learner, registrar = users["learner"], users["registrar"]
        academy = db.session.scalar(select(Academy).where(Academy.slug == "demo"))
        lesson = db.session.scalars(
            select(Lesson)
            .join(Module)
            .join(Course)
            .where(Course.academy_id == academy.id)
            .order_by(func.length(Lesson.body_markdown).desc())
        ).first()
        course = lesson.module.course
        enrol_users(registrar, course, [learner])
        accreditation = db.session.scalar(
            select(Accreditation).where(Accreditation.course_id == course.id, Accreditation.academy_id == academy.id)
        ) or create_accreditation(None, academy, course, AccreditationFields("A11Y-01", Decimal("2")))
        certificate = issue_certificate(None, accreditation, learner, date(2026, 3, 14))

        own = course_authoring.create_course(
            None, academy, course_authoring.CourseFields(title="Accessible quiz", slug="a11y-quiz", self_enrolment=True)
        )
        module = course_authoring.add_module(None, own, "Module")
        own_lesson = course_authoring.add_lesson(None, module, course_authoring.LessonFields(title="Lesson"))
        course_authoring.publish(None, own)
        bank.import_questions(None, own, parse_gift(GIFT).questions)
        quiz = authoring.create_quiz(
            None,
            own,
            authoring.QuizFields(
                title="Timed accessible check", slug="timed-a11y", time_limit_minutes=12, questions_per_page=3
            ),
        )
        questions = bank.bank_questions(own)
        for question in questions:
            authoring.add_question_slot(None, quiz, question, Decimal("1"))
        self_enrol(learner, own)
        finished = attempts.start_attempt(learner, quiz)
        attempts.submit_attempt(finished, finished.seq, {}, [])
        return {
            "slug": course.slug,
            "course": course.id,
            "module": lesson.module_id,
            "lesson": lesson.id,
            "lesson_bytes": len(lesson.body_markdown.encode()),
            "certificate": certificate.id,
            "code": certificate.code,
            "accreditation": accreditation.id,
            "learner": learner.id,
            "own_slug": own.slug,
            "own": own.id,
            "own_lesson": own_lesson.id,
            "quiz": quiz.id,
            "question": questions[0].id,
            "attempt": finished.id,
        }


def key_pages(role: str, w: dict) -> dict[str, str]:
    """The pages of each role that the accessibility checks visit, by a short name."""
    own, course, quiz = w["own"], w["course"], w["quiz"]
    return {
        "anonymous": {
            "home": "/",
            "catalog": "/catalog",
            "login": "/auth/login",
            "forgot": "/auth/forgot",
            "verify-form": "/verify",
            "verify": f"/verify/{w['code']}",
        },
        "learner": {
            "dashboard": "/dashboard",
            "catalog": "/catalog",
            "course": f"/courses/{w['slug']}",
            "lesson": f"/learn/{w['slug']}/lessons/{w['lesson']}",
            "quiz": f"/learn/{w['own_slug']}/quizzes/{quiz}",
            "review": f"/attempts/{w['attempt']}/review",
            "certificates": "/certificates/",
            "certificate": f"/certificates/{w['certificate']}",
            "profile": "/account",
        },
        "trainer": {
            "teach": "/teach/",
            "course-new": "/teach/new",
            "import": "/teach/import",
            "outline": f"/teach/{course}/outline",
            "course-edit": f"/teach/{course}",
            "module-edit": f"/teach/{course}/modules/{w['module']}",
            "lesson-edit": f"/teach/{course}/lessons/{w['lesson']}",
            "lesson-new": f"/teach/{course}/modules/{w['module']}/lessons/new",
            "lesson-preview": f"/teach/{course}/lessons/{w['lesson']}/preview",
            "media": f"/teach/{course}/media",
            "report": f"/teach/{course}/report",
            "bank": f"/teach/{own}/questions",
            "question-new": f"/teach/{own}/questions/new",
            "question-edit": f"/teach/{own}/questions/{w['question']}/edit",
            "question-preview": f"/teach/{own}/questions/{w['question']}/preview",
            "quizzes": f"/teach/{own}/quizzes",
            "quiz-new": f"/teach/{own}/quizzes/new",
            "quiz-edit": f"/teach/{own}/quizzes/{quiz}/edit",
            "quiz-questions": f"/teach/{own}/quizzes/{quiz}/questions",
            "quiz-overrides": f"/teach/{own}/quizzes/{quiz}/overrides",
            "quiz-results": f"/teach/{own}/quizzes/{quiz}/results",
            "quiz-analysis": f"/teach/{own}/quizzes/{quiz}/analysis",
            "quiz-grading": f"/teach/{own}/quizzes/{quiz}/grading",
            "quiz-attempt": f"/teach/{own}/quizzes/{quiz}/attempts/{w['attempt']}",
        },
        "registrar": {
            "dashboard": "/dashboard",
            "users": "/users",
            "user": f"/users/{w['learner']}",
            "user-new": "/users/new",
            "user-import": "/users/import",
            "cohorts": "/cohorts/",
            "enrolments": f"/teach/{course}/enrolments",
            "accreditations": "/certificates/manage/accreditations",
            "accreditation": f"/certificates/manage/accreditations/{w['accreditation']}",
            "issue": f"/certificates/manage/accreditations/{w['accreditation']}/issue",
            "issued": "/certificates/manage/issued",
            "learner-record": f"/certificates/manage/learners/{w['learner']}",
            "accommodations": "/manage/accommodations",
            "audit": "/audit/",
            "api-tokens": "/records/api-tokens",
        },
        "admin": {
            "academies": "/academies/",
            "academy-new": "/academies/new",
            "users": "/users",
            "retention": "/privacy/retention",
            "audit": "/audit/",
        },
    }[role]


def switch_language(page: Page, code: str) -> None:
    page.select_option("#language-select", code)  # the script submits on change
    expect(page.locator("html")).to_have_attribute("lang", code)


def overflow(page: Page, width: int) -> str | None:
    """Set the viewport to ``width`` CSS pixels; describe the sideways scrolling there, or None."""
    page.set_viewport_size({"width": width, "height": 800})
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll <= inner:
        return None
    wide = page.evaluate(
        """(inner) => [...document.querySelectorAll('body *')]
             .filter(e => e.getBoundingClientRect().right > inner + 1 && !e.closest('.table-wrap'))
             .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
        inner,
    )
    return f"{page.url} at {width}px: scrollWidth {scroll} > {inner} ({', '.join(wide)})"


def tour(page: Page, base: str, role: str, pages: dict[str, str]) -> list[str]:
    """Visit each page in English, then in Albanian: axe (by the fixture), screenshots and the width checks."""
    problems = []
    audit = audit_of(page)
    for lang in LANGUAGES:
        page.goto(base + "/catalog")
        if page.locator("html").get_attribute("lang") != lang:
            switch_language(page, lang)
        for name, path in pages.items():
            response = page.goto(base + path)
            assert response is not None and response.ok, f"{role} {path}: HTTP {response and response.status}"
            expect(page.locator("html")).to_have_attribute("lang", lang)
            audit.check()
            shot(page, f"a11y-{role}-{name}")
            for width in (PHONE, ZOOMED):
                problem = overflow(page, width)
                if problem:
                    problems.append(problem)
                if width == PHONE:
                    audit.check()  # some rules (scrollable regions, target size) depend on the width
                    shot(page, f"a11y-{role}-{name}-{PHONE}")
            page.set_viewport_size({"width": DESKTOP, "height": 800})
    return problems


@pytest.fixture
def english_afterwards(live_server):
    """The tours switch accounts to Albanian; the other journeys expect English."""
    yield
    from sqlalchemy import update

    from lms.extensions import db
    from lms.models import User

    with live_server["app"].app_context():
        db.session.execute(update(User).values(language="en"))
        db.session.commit()


@pytest.mark.parametrize("role", ["anonymous", "learner", "trainer", "registrar", "admin"])
def test_key_pages_of_each_role(page: Page, live_server, world, english_afterwards, role):
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    if role != "anonymous":
        sign_in(page, live_server, role)
    problems = tour(page, live_server["url"], role, key_pages(role, world))
    assert not problems, "sideways scrolling:\n" + "\n".join(problems)


def test_quiz_attempt_pages(page: Page, live_server, world, english_afterwards):
    """The attempt, its summary and review, in both languages (axe runs on each through the fixture)."""
    base = live_server["url"]
    sign_in(page, live_server, "learner")
    for lang in LANGUAGES:
        page.goto(f"{base}/learn/{world['own_slug']}/quizzes/{world['quiz']}")
        if lang != "en":
            switch_language(page, lang)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("#attempt-form")).to_be_visible()
        expect(page.locator("#quiz-timer")).to_have_text(re.compile(r"\d+:\d\d"))
        expect(page.locator("main fieldset legend").first).to_be_visible()
        shot(page, "a11y-quiz-attempt")
        assert overflow(page, PHONE) is None
        shot(page, f"a11y-quiz-attempt-{PHONE}")
        page.set_viewport_size({"width": DESKTOP, "height": 800})
        page.locator("input[type=radio]").first.check()
        page.locator("button[value=next]").click()
        shot(page, "a11y-quiz-attempt-page-2")
        while page.locator("button[value=next]").count():
            page.locator("button[value=next]").click()
        page.locator("button[value=finish]").click()
        expect(page).to_have_url(re.compile(r"/summary$"))
        shot(page, "a11y-quiz-summary")
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/review$"))
        shot(page, "a11y-quiz-review")
        assert overflow(page, PHONE) is None
        page.set_viewport_size({"width": DESKTOP, "height": 800})


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page: Page, live_server, world):
    base = live_server["url"]
    for path in ("/catalog", f"/verify/{world['code']}"):
        page.goto(base + path)
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is on screen"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        # The next Tab goes on inside the content, with a visible focus indicator.
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('main')")
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_lesson_page_is_light_and_stays_on_this_server(browser, live_server, world):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "learner")
    sizes: dict[str, int] = {}
    hosts: set[str] = set()

    def on_response(response) -> None:
        if response.request.resource_type in ("document", "stylesheet", "script", "fetch", "xhr"):
            transferred = response.request.sizes()
            sizes[response.url] = transferred["responseBodySize"] + transferred["responseHeadersSize"]

    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or request.url))
    page.on("response", on_response)
    page.goto(f"{live_server['url']}/learn/{world['slug']}/lessons/{world['lesson']}")
    page.wait_for_load_state("networkidle")
    context.close()
    total = sum(sizes.values())
    print(f"\nlesson page ({world['lesson_bytes']} bytes of Markdown): {total} bytes transferred", sizes)
    assert hosts == {"127.0.0.1"}, f"requests left the server: {hosts}"
    assert any(url.endswith(".css") for url in sizes) and total < LESSON_BUDGET


def test_quiz_works_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "learner")
    page.goto(f"{live_server['url']}/learn/{world['own_slug']}/quizzes/{world['quiz']}")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+"))
    expect(page.locator("#quiz-deadline")).to_contain_text("UTC")  # the time limit in words, without the script
    answered = 0
    while True:
        for group in page.locator("main fieldset").all():
            radio = group.locator("input[type=radio]")
            if radio.count():
                radio.first.check()
                answered += 1
        for field in page.locator("main input[name$=answer]:not([type])").all():
            field.fill("24")
            answered += 1
        if not page.locator("button[value=next]").count():
            break
        page.locator("button[value=next]").click()
    page.locator("button[value=finish]").click()
    expect(page).to_have_url(re.compile(r"/summary$"))
    expect(page.locator("tbody")).to_contain_text("Answer saved")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/review$"))
    expect(page.locator("h1")).to_contain_text("Review of attempt")
    context.close()
    assert answered >= 3


def test_quiz_timer_is_announced_at_sensible_moments(browser, live_server, world):
    """Ten and five minutes left: polite; one minute and time up: assertive; not every second."""
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()
    sign_in(page, live_server, "learner")
    page.goto(f"{live_server['url']}/learn/{world['own_slug']}/quizzes/{world['quiz']}")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#quiz-timer")).to_have_text(re.compile(r"\d+:\d\d"))
    polite, urgent = page.locator("#quiz-status-polite"), page.locator("#quiz-status-urgent")
    expect(polite).to_have_attribute("aria-live", "polite")
    expect(urgent).to_have_attribute("aria-live", "assertive")
    expect(page.locator("#quiz-timer")).to_have_attribute("aria-live", "off")
    expect(polite).to_have_text("")
    page.clock.run_for("01:30")  # the time limit is 12 minutes: now under 11 minutes left
    expect(polite).to_have_text("")
    page.clock.run_for("01:30")
    expect(polite).not_to_have_text("")
    first = polite.text_content()
    page.clock.run_for("00:30")
    assert polite.text_content() == first, "no announcement between the sensible moments"
    page.clock.run_for("05:00")
    expect(polite).not_to_have_text(first)
    expect(urgent).to_have_text("")
    page.clock.run_for("04:00")
    expect(urgent).not_to_have_text("")
    context.close()
