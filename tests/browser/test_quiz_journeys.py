"""The learner's quiz journey in a real browser: start a timed quiz, answer, reload in the middle (the answers
are still there, saved by the autosave script), finish, and read the review; the timer is announced."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.browser.test_core_journeys import sign_in

GIFT = """$CATEGORY: Journey

::j-mc::Which step limits re-traumatisation?{=One recorded interview#Yes. ~An interview by every agency#No.}

::j-sa::Name the Nordic child-friendly model.{=Barnahus}

::j-tf::Grooming often starts in online games.{T#It often does.#Right.}
"""


def _timed_quiz(app) -> tuple[str, int]:
    from sqlalchemy import select

    from courses import authoring as course_authoring
    from courses.enrolment import self_enrol
    from lms.extensions import db
    from lms.models import Academy, User
    from quizzes import authoring, bank
    from quizzes.formats.gift import parse_gift

    with app.app_context():
        academy = db.session.scalar(select(Academy).where(Academy.slug == "demo"))
        course = course_authoring.create_course(
            None, academy, course_authoring.CourseFields(title="Quiz journey", slug="quiz-journey", self_enrolment=True)
        )
        module = course_authoring.add_module(None, course, "Module")
        course_authoring.add_lesson(None, module, course_authoring.LessonFields(title="Lesson"))
        course_authoring.publish(None, course)
        bank.import_questions(None, course, parse_gift(GIFT).questions)
        quiz = authoring.create_quiz(
            None,
            course,
            authoring.QuizFields(title="Timed check", slug="timed-check", time_limit_minutes=10, questions_per_page=2),
        )
        for question in bank.bank_questions(course):
            authoring.add_question_slot(None, quiz, question, Decimal("1"))
        self_enrol(db.session.scalar(select(User).where(User.username == "learner")), course)
        return course.slug, quiz.id


def test_timed_quiz_with_a_reload_in_the_middle(page: Page, live_server, screenshots):
    slug, quiz_id = _timed_quiz(live_server["app"])
    sign_in(page, live_server, "learner")
    page.goto(f"{live_server['url']}/courses/{slug}")
    page.get_by_role("link", name="Timed check").click()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.locator("#quiz-timer")).to_have_text(re.compile(r"\d+:\d\d"))
    # Page 1 holds j-mc and j-sa (bank order, no shuffling of questions). Answer, wait for the autosave, reload.
    page.get_by_label("One recorded interview").check()
    page.get_by_label("Your answer").fill("Barnahus")
    expect(page.locator("#autosave-status")).to_contain_text("Saved", timeout=10_000)
    page.screenshot(path=str(screenshots / "quiz-attempt.png"), full_page=True)
    page.reload()
    expect(page.get_by_label("One recorded interview")).to_be_checked()
    expect(page.get_by_label("Your answer")).to_have_value("Barnahus")
    # Keyboard and page navigation without the script's help: next page, then finish.
    page.get_by_role("button", name="Next page").click()
    page.get_by_label("True").check()
    page.get_by_role("button", name="Finish the attempt…").click()
    expect(page.locator("h1")).to_contain_text("summary of your attempt")
    page.get_by_role("button", name="Submit all and finish").click()
    expect(page.locator("h1")).to_have_text("Review of attempt 1")
    expect(page.locator("dl.facts")).to_contain_text("(100.0 %)")
    page.screenshot(path=str(screenshots / "quiz-review.png"), full_page=True)
