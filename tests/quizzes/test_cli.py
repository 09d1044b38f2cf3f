"""``lms quizzes import-gift/-xml`` and ``export-gift/-xml``: the dry-run JSON contract, line-accurate errors
numbered by the question's place in the file, all-or-nothing imports, and round trips through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from quizzes.models import Question

DATA = Path(__file__).parent / "data"


def test_dry_run_json_writes_nothing_and_exits_0(runner, db):
    result = runner.invoke(args=["lms", "quizzes", "import-gift", str(DATA / "rich.gift"), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"questions", "errors"} and document["errors"] == []
    assert {q["type"] for q in document["questions"]} >= {"multichoice", "truefalse", "shortanswer", "numerical"}
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_errors_name_the_question_in_the_file_and_its_line(runner, db):
    result = runner.invoke(args=["lms", "quizzes", "import-gift", str(DATA / "malformed.gift"), "--dry-run", "--json"])
    assert result.exit_code == 1
    errors = json.loads(result.output)["errors"]
    assert errors and all(set(e) == {"index", "line", "message"} for e in errors)
    assert [e["index"] for e in errors] == sorted(e["index"] for e in errors)
    text = (DATA / "malformed.gift").read_text().splitlines()
    for error in errors:
        assert 1 <= error["line"] <= len(text)


def test_an_invalid_question_after_a_broken_one_keeps_its_number(runner, tmp_path):
    gift = tmp_path / "q.gift"
    gift.write_text(
        "::a::Broken {=x\n\n::b::Fine{T}\n\n::c::Two right answers{=a =b ~c #x}\n\n::d::Matching{=a -> 1}\n"
    )
    result = runner.invoke(args=["lms", "quizzes", "import-gift", str(gift), "--dry-run", "--json"])
    errors = json.loads(result.output)["errors"]
    assert [(e["index"], e["line"]) for e in errors][0] == (0, 1)
    assert all(e["index"] in (0, 2, 3) for e in errors) and any(e["index"] == 3 for e in errors)


def test_import_is_all_or_nothing_and_round_trips(runner, db, quiz_course, tmp_path):
    before = db.session.scalar(select(func.count(Question.id)))
    bad = runner.invoke(args=["lms", "quizzes", "import-gift", str(DATA / "malformed.gift"), "--course", "ocsea"])
    assert bad.exit_code == 1 and "nothing was imported" in bad.output
    assert db.session.scalar(select(func.count(Question.id))) == before
    good = runner.invoke(args=["lms", "quizzes", "import-gift", str(DATA / "rich.gift"), "--course", "ocsea"])
    assert good.exit_code == 0, good.output
    out = tmp_path / "bank.gift"
    assert runner.invoke(args=["lms", "quizzes", "export-gift", "--course", "ocsea", "-o", str(out)]).exit_code == 0
    first = json.loads(runner.invoke(args=["lms", "quizzes", "import-gift", str(out), "--dry-run", "--json"]).output)
    xml = tmp_path / "bank.xml"
    assert runner.invoke(args=["lms", "quizzes", "export-xml", "--course", "ocsea", "-o", str(xml)]).exit_code == 0
    from_xml = json.loads(runner.invoke(args=["lms", "quizzes", "import-xml", str(xml), "--dry-run", "--json"]).output)
    assert first["errors"] == [] and from_xml["errors"] == []
    assert len(first["questions"]) == len(from_xml["questions"]) == db.session.scalar(select(func.count(Question.id)))


def test_import_needs_a_known_course(runner):
    result = runner.invoke(args=["lms", "quizzes", "import-gift", str(DATA / "rich.gift"), "--course", "nope"])
    assert result.exit_code == 1 and "--course" in result.output
