"""Content lint for the curricula in content/: every package validates, every lesson has text, no quiz is empty,
every question has feedback, no banned term appears in any language, translations are complete, links are well
formed, and export -> import -> export gives the same package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from courses import packages
from courses.models import Course
from courses.package_source import read_package
from quizzes.formats.gift import parse_gift

CONTENT = Path(__file__).resolve().parents[2] / "content"
PACKAGES = sorted(p for p in CONTENT.iterdir() if (p / "course.yaml").is_file())
EXPECTED = {
    "digital-forensics-first-responders",
    "early-identification-children-at-risk",
    "multi-agency-response-ocsea",
}
# Terms the Luxembourg Terminology Guidelines advise against, in the languages of the platform.
BANNED = re.compile(
    r"child[\s-]+pornograph|child[\s-]+prostitut|kiddie[\s-]+porn"
    r"|dje[cč]j\w*\s+pornograf|de[cč]j\w*\s+pornograf|di[cč]j\w*\s+pornograf|dje[cč]j\w*\s+prostituc|de[cč]j\w*\s+prostituc"
    r"|pornografi\w*\s+(?:me\s+|e\s+|së\s+)?fëmij|prostitucion\w*\s+(?:me\s+|i\s+|të\s+)?fëmij"
    r"|де[чц]ј?\w*\s+порнограф|детск\w*\s+порнограф|де[чц]ј?\w*\s+проститу|детск\w*\s+проститу",
    re.IGNORECASE,
)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)")


def _ids(paths):
    return [p.name for p in paths]


def test_the_three_curricula_are_there():
    assert {p.name for p in PACKAGES} >= EXPECTED


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_the_package_validates(app, db, package):
    plan = packages.check_package(package)
    assert plan.status.value == "published"
    assert 4 <= len(plan.modules) <= 6


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_every_lesson_has_text_of_a_professional_length(package):
    for lesson in sorted(package.glob("lessons/*/*.md")):
        words = len(lesson.read_text(encoding="utf-8").split())
        assert words >= 300, f"{lesson.relative_to(CONTENT)}: {words} words"
        text = lesson.read_text(encoding="utf-8")
        assert not text.lstrip().startswith("# "), f"{lesson}: the title comes from course.yaml"


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_every_quiz_has_questions_with_feedback(package):
    data = yaml.safe_load((package / "course.yaml").read_text(encoding="utf-8"))
    quizzes = [m["quiz"] for m in data["modules"] if m.get("quiz")] + (
        [data["final_quiz"]] if "final_quiz" in data else []
    )
    assert len(quizzes) == len(data["modules"]) + 1, "a quiz per module and a final assessment"
    for quiz in quizzes:
        for file in sorted(package.glob(f"quizzes/{quiz['slug']}*.gift")):
            result = parse_gift(file.read_text(encoding="utf-8"))
            assert result.errors == [], (file.name, result.errors)
            assert len(result.questions) >= 8, f"{file.name}: {len(result.questions)} questions"
            assert len({q["type"] for q in result.questions}) >= 3, f"{file.name}: too few question types"
            for question in result.questions:
                assert question["general_feedback"].strip(), f"{file.name}: {question['name']} has no general feedback"
                if question["type"] in ("multichoice", "truefalse"):
                    missing = [a["text"] for a in question["answers"] if not a["feedback"].strip()]
                    assert not missing, f"{file.name}: {question['name']}: answers without feedback {missing}"


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_no_banned_term_in_any_language(package):
    for file in sorted(package.rglob("*")):
        if file.is_file() and file.suffix in (".md", ".gift", ".yaml"):
            match = BANNED.search(file.read_text(encoding="utf-8"))
            assert match is None, f"{file.relative_to(CONTENT)}: '{match.group(0)}'"


def test_the_banned_terms_are_recognised_in_every_language():
    for text in ("child pornography", "dječja pornografija", "dečje pornografije", "pornografia e fëmijëve",
                 "pornografi me fëmijë", "дечја порнографија", "детска порнографија"):  # fmt: skip
        assert BANNED.search(text), text
    for text in ("child sexual abuse material", "materijal seksualnog zlostavljanja djece", "pornografija odraslih"):
        assert not BANNED.search(text), text


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_translations_are_complete(package):
    data = yaml.safe_load((package / "course.yaml").read_text(encoding="utf-8"))
    languages = set(data.get("translations") or {})
    for module in data["modules"]:
        assert set(module.get("translations") or {}) == languages, module["slug"]
        for lesson in module["lessons"]:
            assert set(lesson.get("translations") or {}) == languages, lesson["slug"]
            for lang in languages:
                assert (package / "lessons" / module["slug"] / f"{lesson['slug']}.{lang}.md").is_file()
        if module.get("quiz"):
            for lang in languages:
                assert (package / "quizzes" / f"{module['quiz']['slug']}.{lang}.gift").is_file()


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_links_are_well_formed(package):
    for lesson in sorted(package.glob("lessons/*/*.md")):
        for text, target in LINK.findall(lesson.read_text(encoding="utf-8")):
            assert text.strip(), f"{lesson.name}: a link without text"
            assert target.startswith(("https://", "media/")), f"{lesson.name}: {target}"
            assert (
                " " not in target
                and re.match(r"https://[a-z0-9.-]+\.[a-z]{2,}(/|$)", target)
                or target.startswith("media/")
            ), f"{lesson.name}: {target}"


def _forget(db, course: Course) -> None:
    """Remove a course with its quizzes and questions, as if it had never been imported."""
    from sqlalchemy import delete

    from quizzes.models import Question, QuestionCategory, Quiz
    from tests.courses.test_packages import delete_course

    db.session.execute(delete(Quiz).where(Quiz.course_id == course.id))
    categories = select(QuestionCategory.id).where(QuestionCategory.course_id == course.id)
    db.session.execute(delete(Question).where(Question.category_id.in_(categories)))
    delete_course(db, course)


@pytest.mark.parametrize("package", PACKAGES, ids=_ids(PACKAGES))
def test_export_import_export_is_identical(db, academy, package, tmp_path):
    slug = yaml.safe_load((package / "course.yaml").read_text(encoding="utf-8"))["slug"]
    packages.import_package(package, academy=academy)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    first = packages.export_files(course)
    packages.write_package(first, tmp_path / "export")
    assert read_package(tmp_path / "export").files == first
    assert packages.import_package(tmp_path / "export", academy=academy).action == "unchanged"
    _forget(db, course)
    assert packages.import_package(tmp_path / "export", academy=academy).action == "created"
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    assert packages.export_files(course) == first


def _right_response(qtype: str, config: dict):
    """A response that earns full marks, from the question's own answer key (the test plays a perfect learner)."""
    from quizzes.types import Match

    if qtype == "multichoice":
        chosen = [a["id"] for a in config["answers"] if a["fraction"] > 0]
        return chosen if not config["single"] else [max(config["answers"], key=lambda a: a["fraction"])["id"]]
    if qtype == "truefalse":
        return config["correct"]
    if qtype in ("shortanswer", "numerical"):
        best = max(config["answers"], key=lambda a: a["fraction"])
        return best.get("value", best.get("text"))
    if qtype == "match":
        ids = {text: choice for choice, text in Match.choices(config).items()}
        return {p["id"]: ids[p["answer"]] for p in config["pairs"] if p["text"]}
    return None


def test_the_demo_learner_completes_digital_forensics_and_gets_a_certificate(db, academy, users):
    from certificates.models import Certificate
    from courses import enrolment as enrolments
    from courses import progress
    from quizzes import attempts
    from quizzes.models import Quiz

    packages.import_package(CONTENT / "digital-forensics-first-responders", academy=academy)
    course = db.session.scalar(select(Course).where(Course.slug == "digital-forensics-first-responders"))
    learner = users["learner"]
    enrolment = enrolments.self_enrol(learner, course)
    outline = progress.build_outline(enrolment)
    for state in outline.lessons:
        if state.lesson.content_notice:
            progress.acknowledge_notice(outline, state.lesson.lesson_id)
        progress.complete_lesson(outline, state.lesson.lesson_id)
        outline = progress.build_outline(enrolment)
    assert enrolment.completed_at is None  # the quizzes are not passed yet
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)):
        attempt = attempts.start_attempt(learner, quiz)
        for item in attempt.items:
            item.response = _right_response(item.version.qtype, item.version.config)
        db.session.commit()
        attempts.finish_attempt(attempt, by="learner")
        assert attempt.passed, quiz.slug
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None and certificate.curriculum_code == "DEMO-DF-101"
