"""Quizzes in course packages: module quizzes and the final assessment with their GIFT files, translations,
round trips, line-accurate errors, and re-imports that keep question identity."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import packages
from courses.models import Course
from quizzes import bank
from quizzes.models import Question, Quiz
from tests.courses.test_packages import delete_course, problems_of, write

COURSE_YAML = """\
format: 1
slug: q-course
title: Quizzed course
language: en
status: published
completion: {required_lessons: all, quizzes_passed: true}
modules:
  - slug: m1
    title: Module one
    lessons:
      - {slug: l1, title: Lesson one}
    quiz:
      slug: m1-check
      title: Check your understanding
      translations: {sq: {title: Kontrolloni}}
      pass_mark: 70
      time_limit_minutes: null
      grading_method: highest
final_quiz:
  slug: final
  title: Final assessment
  pass_mark: 75
  attempts_allowed: 3
  time_limit_minutes: 45
"""

M1_GIFT = """// written by hand: spacing and comments differ from what the export writes
$CATEGORY: Quizzed/Module one

::tf1::The Lanzarote Convention is a Council of Europe treaty. {T #No: it is. #Right.}

::mc1:: Which help a child? {
  =Listening calmly #Yes.
  ~Promising secrecy #No: you may have to report.
  ####Listen, do not promise secrecy.
}
"""
M1_GIFT_SQ = """$CATEGORY: Quizzed/Module one

::tf1::Konventa e Lanzarotes është traktat i Këshillit të Evropës.{T#Jo: është.#Saktë.}

::mc1::Çfarë e ndihmon fëmijën?{=Dëgjimi i qetë#Po. ~Premtimi i fshehtësisë#Jo. ####Dëgjoni.}
"""
FINAL_GIFT = "::final1::Name the Nordic child-friendly model. {=Barnahus}\n"


@pytest.fixture
def package(tmp_path) -> Path:
    return write(
        tmp_path / "pkg",
        {
            "course.yaml": COURSE_YAML,
            "lessons/m1/l1.md": "Text.\n",
            "quizzes/m1-check.gift": M1_GIFT,
            "quizzes/m1-check.sq.gift": M1_GIFT_SQ,
            "quizzes/final.gift": FINAL_GIFT,
        },
    )


def test_quizzes_are_imported_and_round_trip(db, academy, package, tmp_path):
    result = packages.import_package(package, academy=academy)
    assert result.action == "created"
    course = db.session.scalar(select(Course).where(Course.slug == "q-course"))
    quizzes = {q.slug: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    assert set(quizzes) == {"m1-check", "final"}
    module_quiz = quizzes["m1-check"]
    assert module_quiz.module_id == course.modules[0].id and quizzes["final"].module_id is None
    assert [s.question.name for s in module_quiz.slots] == ["tf1", "mc1"]
    assert quizzes["final"].time_limit_minutes == 45 and quizzes["final"].attempts_allowed == 3
    mc = next(s.question for s in module_quiz.slots if s.question.name == "mc1")
    assert mc.category.path == "Quizzed/Module one"
    assert mc.current.translations["sq"]["text"] == "Çfarë e ndihmon fëmijën?"

    first = packages.export_files(course)
    assert "quizzes/m1-check.sq.gift" in first
    packages.write_package(first, tmp_path / "out")
    db.session.execute(Quiz.__table__.delete())
    db.session.execute(Question.__table__.delete())
    delete_course(db, course)
    packages.import_package(tmp_path / "out", academy=academy)
    course = db.session.scalar(select(Course).where(Course.slug == "q-course"))
    assert packages.export_files(course) == first


def test_reimporting_a_hand_written_package_changes_nothing(db, academy, package):
    packages.import_package(package, academy=academy)
    again = packages.import_package(package, academy=academy)
    assert again.action == "unchanged" and again.version == 1


def test_an_edited_question_keeps_its_identity(db, academy, package):
    packages.import_package(package, academy=academy)
    ids = set(db.session.scalars(select(Question.id)))
    gift = package / "quizzes/final.gift"
    gift.write_text(FINAL_GIFT.replace("{=Barnahus}", "{=Barnahus =Children's House}"))
    result = packages.import_package(package, academy=academy)
    assert result.action == "updated" and result.version == 2
    assert set(db.session.scalars(select(Question.id))) == ids
    final = db.session.scalar(select(Question).where(Question.name == "final1"))
    assert len(final.current.config["answers"]) == 2


def test_quiz_problems_name_file_line_and_field(db, package):
    (package / "quizzes/final.gift").write_text("::bad::No right answer {~a ~b}\n")
    (package / "quizzes/m1-check.sq.gift").write_text("::other::Different question{T}\n")
    (package / "quizzes/stray.gift").write_text("::x::y{T}\n")
    text = (package / "course.yaml").read_text().replace("pass_mark: 75", "pass_mark: 175")
    (package / "course.yaml").write_text(text)
    found = {(p["file"], p["line"], p["field"]) for p in problems_of(package)}
    assert ("quizzes/final.gift", 1, "") in found
    assert ("quizzes/m1-check.sq.gift", None, "") in found
    assert ("quizzes/stray.gift", None, "") in found
    assert ("course.yaml", 22, "final_quiz.pass_mark") in found
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_a_package_quiz_is_listed_by_the_cli(db, academy, package, runner):
    import json

    packages.import_package(package, academy=academy)
    rows = json.loads(runner.invoke(args=["lms", "courses", "list", "--json"]).output)
    assert next(r for r in rows if r["slug"] == "q-course")["quizzes"] == 2


def test_questions_of_the_bank_are_exported_with_their_category(db, academy, package):
    packages.import_package(package, academy=academy)
    course = db.session.scalar(select(Course).where(Course.slug == "q-course"))
    exchanged = [bank.to_exchange(q) for q in bank.bank_questions(course)]
    assert {q["category"] for q in exchanged} == {"Quizzed/Module one", None}
