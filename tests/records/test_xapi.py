"""xAPI statements (valid against the xAPI 1.0.3 schema), the outbox and its push to an LRS, the LRS settings
pages, and the outbox's place in the privacy registries."""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from courses import progress
from courses.models import Enrolment
from lms.models import AuditEvent
from lms.registry import registry
from quizzes import attempts
from records.filters import ExportFilters
from records.xapi import push as xpush
from records.xapi import services
from records.xapi import statements as xs
from records.xapi.models import LrsSettings, XapiStatement
from tests.conftest import csrf_token, login, post_form
from tests.records.api.conftest import _side

SCHEMA_DIR = Path("/work/shared/schemas/xapi-1.0.3")
LRS_PASSWORD = "lrs-Secret-42"  # noqa: S105 - a test value


# The schema, with its own formats (regular expressions shipped with it) --------------------------------------


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / "statement.json").read_text())
    formats = json.loads((SCHEMA_DIR / "parts" / "formats_formats.json").read_text())
    checker = jsonschema.FormatChecker()
    for name, pattern in formats.items():
        compiled = re.compile(pattern)

        def check(value, compiled=compiled) -> bool:
            return not isinstance(value, str) or compiled.match(value) is not None

        checker.checks(name)(check)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=checker)


VALIDATOR = _validator()


def assert_valid(statement: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(statement), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors]


SITE = xs.Site("http://lms.test", b"k" * 32)
LEARNER = xs.Learner(7)
OPTED_IN = xs.Learner(7, "ana@example.org", "Ana Kovač")
COURSE = xs.Thing("course", 3, "Online child protection", "sr_Latn", "http://lms.test/courses/ocp")
LESSON = xs.Thing("lesson", 11, "Grooming signs", "sr_Latn")
QUIZ = xs.Thing("quiz", 5, "Check", "en")
ACADEMY = xs.Thing("academy", 1, "Police Academy")
AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _every_verb(learner: xs.Learner) -> dict[str, dict]:
    score_ok = xs.Score(Decimal("8.5"), Decimal("10"), Decimal("85"), True)
    score_ko = xs.Score(Decimal("2"), Decimal("10"), Decimal("20"), False)
    cert = xs.CertificateFacts(9, "ABCD", "PA-2026-0001", Decimal("8"), "http://lms.test/verify/ABCD")
    common = {"academy": ACADEMY}
    return {
        "registered": xs.registered(SITE, learner, COURSE, AT, enrolment_id=1, **common),
        "launched": xs.launched(SITE, learner, LESSON, COURSE, AT, enrolment_id=1, **common),
        "completed_lesson": xs.completed_lesson(SITE, learner, LESSON, COURSE, AT, enrolment_id=1, **common),
        "completed_course": xs.completed_course(SITE, learner, COURSE, AT, enrolment_id=1, **common),
        "attempted": xs.attempted(SITE, learner, QUIZ, COURSE, AT, attempt_id=4, enrolment_id=1, **common),
        "passed": xs.passed(SITE, learner, QUIZ, COURSE, AT, score_ok, attempt_id=4, seconds=75.5, **common),
        "failed": xs.failed(SITE, learner, QUIZ, COURSE, AT, score_ko, attempt_id=5, seconds=60, **common),
        "certified": xs.certified(SITE, learner, COURSE, AT, cert, enrolment_id=1, **common),
    }


# Pure builders ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("learner", [LEARNER, OPTED_IN], ids=["account", "email"])
@pytest.mark.parametrize("name", list(_every_verb(LEARNER)))
def test_every_verb_validates_against_the_xapi_schema(name, learner):
    statement = _every_verb(learner)[name]
    assert_valid(statement)
    verb = {"completed_lesson": "completed", "completed_course": "completed", "certified": "completed"}.get(name, name)
    assert statement["verb"]["id"] == f"http://adlnet.gov/expapi/verbs/{verb}"
    assert statement["timestamp"] == "2026-03-01T09:30:15.123Z"
    assert statement["object"]["id"].startswith("http://lms.test/xapi/activities/")


def test_the_validator_is_real():
    good = _every_verb(LEARNER)["passed"]
    for broken in (
        {**good, "timestamp": "yesterday"},
        {**good, "id": "not-a-uuid"},
        {**good, "actor": {**good["actor"], "mbox": "mailto:a@example.org"}},  # two identifiers
        {**good, "result": {**good["result"], "score": {"scaled": 1.5}}},
        {**good, "verb": {"id": "passed"}},  # not an IRI
    ):
        assert list(VALIDATOR.iter_errors(broken)), broken


def test_the_actor_is_an_opaque_account_unless_the_academy_opted_in():
    actor = _every_verb(LEARNER)["registered"]["actor"]
    assert set(actor) == {"objectType", "account"}
    assert actor["account"]["homePage"] == "http://lms.test"
    name = actor["account"]["name"]
    assert re.fullmatch(r"[0-9a-f]{32}", name) and "7" != name
    assert name == SITE.account_name(7) != SITE.account_name(8)
    assert xs.Site("http://lms.test", b"other key").account_name(7) != name  # not computable without the key
    opted = _every_verb(OPTED_IN)["registered"]["actor"]
    assert opted == {"objectType": "Agent", "mbox": "mailto:ana@example.org", "name": "Ana Kovač"}


def test_scores_language_and_context():
    passed = _every_verb(LEARNER)["passed"]
    assert passed["result"] == {
        "score": {"scaled": 0.85, "raw": 8.5, "min": 0, "max": 10.0},
        "success": True,
        "completion": True,
        "duration": "PT75.5S",
    }
    assert passed["context"]["contextActivities"]["parent"][0]["id"] == "http://lms.test/xapi/activities/course/3"
    assert passed["context"]["contextActivities"]["grouping"][0]["id"] == "http://lms.test/xapi/activities/academy/1"
    launched = _every_verb(LEARNER)["launched"]
    assert launched["object"]["definition"]["name"] == {"sr-Latn": "Grooming signs"}
    assert launched["context"]["registration"] == _every_verb(LEARNER)["registered"]["context"]["registration"]
    assert xs.language_tag("") == "und" and xs.language_tag("sq") == "sq"


def test_statement_ids_are_deterministic_per_event():
    one, again = _every_verb(LEARNER), _every_verb(LEARNER)
    assert {k: s["id"] for k, s in one.items()} == {k: s["id"] for k, s in again.items()}
    assert len({s["id"] for s in one.values()}) == len(one)
    regraded = xs.Score(Decimal("9"), Decimal("10"), Decimal("90"), True)
    assert xs.passed(SITE, LEARNER, QUIZ, COURSE, AT, regraded, attempt_id=4)["id"] != one["passed"]["id"]
    other_site = xs.Site("http://other.test", b"k" * 32)
    assert xs.registered(other_site, LEARNER, COURSE, AT, enrolment_id=1)["id"] != one["registered"]["id"]


# From the database -----------------------------------------------------------------------------------------


@pytest.fixture
def world(users, academy, other_academy, make_user, make_course):
    """Two academies with an enrolment, a completed lesson, a graded attempt and a certificate each."""
    theirs_registrar = make_user("registrar2", roles={other_academy: ["registrar"]})
    theirs_learner = make_user("learner2", roles={other_academy: ["learner"]}, profession="judge", country="BA")
    return {
        "mine": _side(academy, users["registrar"], users["learner"], make_course),
        "theirs": _side(other_academy, theirs_registrar, theirs_learner, make_course),
    }


def _second_quiz(course):
    from quizzes import authoring, bank

    quiz = authoring.create_quiz(None, course, authoring.QuizFields(title="Again", slug=f"again-{course.id}"))
    for question in bank.bank_questions(course)[:1]:
        authoring.add_question_slot(None, quiz, question, Decimal("1"))
    return quiz


def _verbs(statements) -> list[str]:
    return sorted(s["verb"]["display"]["en-US"] for s in statements)


def test_iter_statements_covers_every_kind_and_validates(db, world):
    mine = world["mine"]
    found = list(xs.iter_statements(ExportFilters(academy_ids=frozenset({mine.academy.id}))))
    for statement in found:
        assert_valid(statement)
    # registered, lesson launched + completed, attempted + failed/passed, certificate completed
    graded = "passed" if mine.attempt.passed else "failed"
    assert _verbs(found) == sorted(["registered", "launched", "completed", "attempted", graded, "completed"])
    assert all(s["actor"]["account"]["homePage"] == "http://lms.test" for s in found)
    name = xs.site_from_app().account_name(mine.learner.id)
    assert {s["actor"]["account"]["name"] for s in found} == {name}
    text = json.dumps(found)
    assert mine.learner.email not in text and mine.learner.display_name not in text
    assert all(s["timestamp"].endswith("Z") for s in found)
    assert len({s["id"] for s in found}) == len(found)


def test_iter_statements_is_scoped_to_the_academies_and_repeatable(db, world):
    mine, theirs = world["mine"], world["theirs"]
    everything = list(xs.iter_statements(ExportFilters()))
    only_mine = list(xs.iter_statements(ExportFilters(academy_ids=frozenset({mine.academy.id}))))
    only_theirs = list(xs.iter_statements(ExportFilters(academy_ids=frozenset({theirs.academy.id}))))
    assert {s["id"] for s in only_mine} | {s["id"] for s in only_theirs} == {s["id"] for s in everything}
    assert not {s["id"] for s in only_mine} & {s["id"] for s in only_theirs}
    theirs_name = xs.site_from_app().account_name(theirs.learner.id)
    assert theirs_name not in json.dumps(only_mine)
    assert list(xs.iter_statements(ExportFilters(academy_ids=frozenset()))) == []
    assert [s["id"] for s in xs.iter_statements(ExportFilters())] == [s["id"] for s in everything]


def test_iter_statements_applies_kind_and_filters(db, world):
    mine = world["mine"]
    scope = frozenset({mine.academy.id})
    kinds = {k: _verbs(xs.iter_statements(ExportFilters(academy_ids=scope), k)) for k in
             ("enrolments", "progress", "results", "certificates")}  # fmt: skip
    assert kinds["enrolments"] == ["registered"]
    assert kinds["progress"] == ["completed", "launched"]
    assert kinds["results"][0] == "attempted" and len(kinds["results"]) == 2
    assert kinds["certificates"] == ["completed"]
    with pytest.raises(ValueError):
        list(xs.iter_statements(ExportFilters(), "grades"))
    # The learner of "theirs" is a judge in BA; the one of "mine" a police officer in RS.
    assert _verbs(xs.iter_statements(ExportFilters(profession="judge", academy_ids=scope))) == []
    assert len(list(xs.iter_statements(ExportFilters(country="BA")))) == len(
        list(xs.iter_statements(ExportFilters(academy_ids=frozenset({world["theirs"].academy.id}))))
    )
    assert list(xs.iter_statements(ExportFilters(course_id=mine.course.id))) == list(
        xs.iter_statements(ExportFilters(academy_ids=scope))
    )
    # Dates: each statement's own time, inclusive UTC days.
    enrolment = db.session.get(Enrolment, mine.enrolment.id)
    enrolment.enrolled_at = datetime(2025, 6, 10, 23, 59, tzinfo=UTC)
    db.session.commit()
    june = ExportFilters(academy_ids=scope, since=date(2025, 6, 10), until=date(2025, 6, 10))
    assert _verbs(xs.iter_statements(june)) == ["registered"]
    assert _verbs(xs.iter_statements(ExportFilters(academy_ids=scope, until=date(2025, 6, 9)))) == []
    later = _verbs(xs.iter_statements(ExportFilters(academy_ids=scope, since=date(2025, 6, 11))))
    assert "registered" not in later and len(later) == 5


def test_the_email_opt_in_applies_to_its_academy_only(db, world):
    mine, theirs = world["mine"], world["theirs"]
    db.session.add(LrsSettings(academy_id=mine.academy.id, actor_uses_email=True))
    db.session.commit()
    found = list(xs.iter_statements(ExportFilters()))
    actors = {json.dumps(s["actor"], sort_keys=True) for s in found}
    assert (
        json.dumps(
            {"objectType": "Agent", "mbox": f"mailto:{mine.learner.email}", "name": mine.learner.display_name},
            sort_keys=True,
        )
        in actors
    )
    assert theirs.learner.email not in json.dumps(found)
    for statement in found:
        assert_valid(statement)


def test_iter_statements_queries_do_not_grow_with_the_records(db, world, make_user, make_course, academy):
    from sqlalchemy import event

    from courses import enrolment as enrolments

    def count_queries() -> int:
        seen = []
        engine = db.engine

        def note(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", note)
        try:
            list(xs.iter_statements(ExportFilters()))
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return len(seen)

    count_queries()  # the first run may also load what the session had expired
    before = count_queries()
    course = make_course(modules=1, lessons=1)
    learners = [make_user(roles={academy: ["learner"]}) for _ in range(5)]
    for enrolment in enrolments.enrol_users(world["mine"].registrar, course, learners).enrolled:
        outline = progress.build_outline(enrolment)
        progress.complete_lesson(outline, outline.lessons[0].lesson.lesson_id)
    count_queries()
    assert count_queries() == before == 6  # the e-mail opt-ins, the academies, one per kind


# The outbox and the push -----------------------------------------------------------------------------------


class FakeLrs:
    """An LRS on 127.0.0.1: records each request and answers with the next status of ``statuses`` (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.refuse_ids: set[str] = set()
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-insensitive
                lrs.requests.append({"path": self.path, "headers": headers, "body": body})
                status = lrs.statuses.pop(0) if lrs.statuses else 200
                batch = body if isinstance(body, list) else [body]
                if lrs.refuse_ids & {s["id"] for s in batch}:
                    status = 400
                payload = json.dumps([s["id"] for s in batch] if status == 200 else {"error": "no"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/xapi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def statements(self) -> list[dict]:
        return [s for r in self.requests for s in (r["body"] if isinstance(r["body"], list) else [r["body"]])]


@pytest.fixture
def lrs(app, monkeypatch):
    monkeypatch.setitem(app.config, "RECORDS_LRS_ALLOW_HTTP", True)
    fake = FakeLrs()
    yield fake
    fake.stop()


@pytest.fixture
def scheduled(monkeypatch) -> list[int]:
    """Pushes asked for (the job system is not run here: push_pending is called by the tests)."""
    asked: list[int] = []
    monkeypatch.setattr(services, "schedule_push", asked.append)
    return asked


def _enable(db, academy, endpoint: str, **extra) -> LrsSettings:
    settings = LrsSettings(academy_id=academy.id, endpoint=endpoint, username="lms", enabled=True, **extra)
    settings.set_password(LRS_PASSWORD)
    db.session.add(settings)
    db.session.commit()
    return settings


def _outbox(db, academy_id: int, state: str | None = None) -> list[XapiStatement]:
    query = select(XapiStatement).where(XapiStatement.academy_id == academy_id).order_by(XapiStatement.id)
    if state:
        query = query.where(XapiStatement.state == state)
    return list(db.session.scalars(query))


def test_receivers_queue_statements_for_academies_that_push(db, world, lrs, scheduled, make_course):
    mine, theirs = world["mine"], world["theirs"]
    assert _outbox(db, mine.academy.id) == []  # nothing before the push was turned on
    _enable(db, mine.academy, lrs.url)
    outline = progress.build_outline(db.session.get(Enrolment, mine.enrolment.id))
    progress.open_lesson(outline, outline.lessons[1].lesson.lesson_id)
    progress.complete_lesson(outline, outline.lessons[1].lesson.lesson_id)
    verbs = [row.verb for row in _outbox(db, mine.academy.id)]
    assert "launched" in verbs and "completed" in verbs
    assert scheduled and set(scheduled) == {mine.academy.id}
    attempt = attempts.start_attempt(mine.learner, _second_quiz(mine.course))
    attempts.submit_attempt(attempt, attempt.seq, {}, [])
    verbs = [row.verb for row in _outbox(db, mine.academy.id)]
    assert "attempted" in verbs and ("passed" in verbs or "failed" in verbs)
    for row in _outbox(db, mine.academy.id):
        assert_valid(row.payload)
        assert row.state == "pending" and row.user_id == mine.learner.id
    # Another academy without a push gets nothing; the same event queued twice is one row.
    outline = progress.build_outline(db.session.get(Enrolment, theirs.enrolment.id))
    progress.complete_lesson(outline, outline.lessons[1].lesson.lesson_id)
    assert _outbox(db, theirs.academy.id) == []
    count = len(_outbox(db, mine.academy.id))
    everything = ExportFilters(academy_ids=frozenset({mine.academy.id}))
    services.queue(xs.queued_statements(everything))  # adds the history from before the push was on
    assert len(_outbox(db, mine.academy.id)) > count
    count = len(_outbox(db, mine.academy.id))
    assert services.queue(xs.queued_statements(everything)) == set()
    assert len(_outbox(db, mine.academy.id)) == count


def test_enrolment_and_certificate_are_queued(db, world, lrs, scheduled, make_user, make_course, academy):
    from certificates.issuing import issue_certificate
    from courses import enrolment as enrolments

    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    newcomer = make_user(roles={academy: ["learner"]})
    enrolments.enrol_users(mine.registrar, mine.course, [newcomer])
    issue_certificate(None, mine.accreditation, newcomer, date(2026, 2, 1))
    rows = [r for r in _outbox(db, mine.academy.id) if r.user_id == newcomer.id]
    assert [r.verb for r in rows] == ["registered", "completed"]
    assert "certificate" in json.dumps(rows[1].payload["result"]["extensions"])


def _queue_everything(db, academy) -> list[XapiStatement]:
    services.queue(xs.queued_statements(ExportFilters(academy_ids=frozenset({academy.id}))))
    return _outbox(db, academy.id)


def test_push_sends_in_batches_and_marks_them_sent(db, world, lrs):
    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    queued = _queue_everything(db, mine.academy)
    assert len(queued) == 6
    result = xpush.push_pending(mine.academy.id, batch_size=4)
    assert result == {"sent": 6, "failed": 0, "pending": 0}
    assert len(lrs.requests) == 2 and [len(r["body"]) for r in lrs.requests] == [4, 2]
    first = lrs.requests[0]
    assert first["path"] == "/xapi/statements"
    assert first["headers"]["x-experience-api-version"] == "1.0.3"
    expected = base64.b64encode(f"lms:{LRS_PASSWORD}".encode()).decode()
    assert first["headers"]["authorization"] == f"Basic {expected}"
    assert {s["id"] for s in lrs.statements} == {str(r.statement_id) for r in queued}
    for row in _outbox(db, mine.academy.id):
        assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    # Nothing left: a second push sends nothing.
    assert xpush.push_pending(mine.academy.id)["sent"] == 0 and len(lrs.requests) == 2


@pytest.mark.parametrize("status", [500, 503, 401])
def test_a_failing_lrs_keeps_them_pending(db, world, lrs, status):
    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    _queue_everything(db, mine.academy)
    lrs.statuses = [200, status]
    with pytest.raises(xpush.PushError):
        xpush.push_pending(mine.academy.id, batch_size=2)
    rows = _outbox(db, mine.academy.id)
    assert [r.state for r in rows] == ["sent", "sent", "pending", "pending", "pending", "pending"]
    assert rows[2].attempts == 1 and f"HTTP {status}" in rows[2].last_error
    assert rows[4].attempts == 0  # not tried: the push stopped at the failing batch
    # The LRS is back: the rest goes, nothing was lost.
    assert xpush.push_pending(mine.academy.id) == {"sent": 4, "failed": 0, "pending": 0}
    assert len({s["id"] for s in lrs.statements}) == 6


def test_an_unreachable_lrs_keeps_them_pending(db, world, lrs):
    mine = world["mine"]
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _enable(db, mine.academy, f"http://127.0.0.1:{port}/xapi")
    _queue_everything(db, mine.academy)
    with pytest.raises(xpush.PushError):
        xpush.push_pending(mine.academy.id)
    rows = _outbox(db, mine.academy.id)
    assert {r.state for r in rows} == {"pending"}
    assert "No answer from the LRS" in rows[0].last_error


def test_a_refused_statement_fails_alone_and_a_conflict_counts_as_sent(db, world, lrs, scheduled):
    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    rows = _queue_everything(db, mine.academy)
    lrs.refuse_ids = {str(rows[1].statement_id)}
    # The first batch (rows 1-3) is refused for row 2: each goes alone, and only row 2 is refused.
    result = xpush.push_pending(mine.academy.id, batch_size=3)
    assert result == {"sent": 5, "failed": 1, "pending": 0}
    states = {r.id: r.state for r in _outbox(db, mine.academy.id)}
    assert states[rows[1].id] == "failed" and list(states.values()).count("sent") == 5
    # A 409 (the LRS already holds that id): sent.
    assert services.retry_failed(mine.registrar, mine.academy) == 1 and scheduled == [mine.academy.id]
    lrs.refuse_ids, lrs.statuses = set(), [409]
    assert xpush.push_pending(mine.academy.id) == {"sent": 1, "failed": 0, "pending": 0}


def test_push_is_off_without_enabled_settings(db, world, lrs):
    mine = world["mine"]
    settings = _enable(db, mine.academy, lrs.url)
    _queue_everything(db, mine.academy)
    settings.enabled = False
    db.session.commit()
    assert xpush.push_pending(mine.academy.id) == {"sent": 0, "failed": 0, "pending": 6, "skipped": "disabled"}
    assert lrs.requests == []


def test_the_push_job_and_command(app, db, world, lrs, runner):
    from lms.jobs.services import JobContext, job_kind

    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    _queue_everything(db, mine.academy)
    spec = job_kind(services.JOB_KIND)
    assert spec is not None
    progress_seen = []
    ctx = JobContext(1, services.JOB_KIND, {"academy_id": mine.academy.id}, mine.academy.id)
    ctx.progress = lambda done, total=None, message=None: progress_seen.append((done, total))
    assert spec.func(ctx)["sent"] == 6 and progress_seen[-1] == (6, 6)
    services.queue(
        [xs.Queued(mine.academy.id, mine.learner.id, "registered", {**lrs.statements[0], "id": str(uuid.uuid4())})]
    )
    result = runner.invoke(args=["lms", "records", "xapi-push", "--academy", mine.academy.slug, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[mine.academy.slug]["sent"] == 1
    bad = runner.invoke(args=["lms", "records", "xapi-push", "--academy", "nowhere"])
    assert bad.exit_code == 1


def test_an_event_pushes_through_the_job_system(app, db, world, lrs, monkeypatch):
    """The real path: a receiver queues, asks for a job, the (inline) runner pushes; a failing LRS leaves the job
    queued for a retry and the statements pending."""
    from lms.jobs.models import Job

    monkeypatch.setitem(app.config, "LMS_JOB_RUNNER", "inline")
    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    outline = progress.build_outline(db.session.get(Enrolment, mine.enrolment.id))
    progress.complete_lesson(outline, outline.lessons[1].lesson.lesson_id)
    assert {r.state for r in _outbox(db, mine.academy.id)} == {"sent"}
    assert {s["verb"]["display"]["en-US"] for s in lrs.statements} >= {"launched", "completed"}
    job = db.session.scalar(select(Job).where(Job.kind == services.JOB_KIND).order_by(Job.id.desc()))
    assert job.state == "finished" and job.academy_id == mine.academy.id and job.result["pending"] == 0
    assert len(lrs.statements) == len(_outbox(db, mine.academy.id))  # each sent once
    lrs.statuses = [503]
    attempt = attempts.start_attempt(mine.learner, _second_quiz(mine.course))
    assert [r.state for r in _outbox(db, mine.academy.id) if r.verb == "attempted"] == ["pending"]
    job = db.session.scalar(select(Job).where(Job.kind == services.JOB_KIND).order_by(Job.id.desc()))
    assert job.state == "queued" and job.attempts == 1 and "HTTP 503" in job.message
    assert attempt.id is not None


# The settings pages ----------------------------------------------------------------------------------------


def _settings_url(academy) -> str:
    return f"/records/lrs/{academy.id}"


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("registrar", "mine", 200),
        ("registrar", "theirs", 404),
        ("admin", "mine", 200),
        ("admin", "theirs", 200),
        ("learner", "mine", 403),
        ("trainer", "mine", 403),
    ],
)
def test_settings_page_access(client, db, world, users, who, whose, status):
    login(client, users[who])
    assert client.get(_settings_url(world[whose].academy)).status_code == status
    listing = client.get("/records/lrs")
    assert listing.status_code == (403 if who in ("learner", "trainer") else 200)
    if who == "registrar":
        html = listing.get_data(as_text=True)
        assert world["mine"].academy.name in html and world["theirs"].academy.name not in html


def test_a_foreign_registrar_cannot_post_or_test(client, db, world):
    theirs = world["theirs"]
    login(client, world["mine"].registrar)
    token = csrf_token(client, "/records/lrs")
    for path in ("", "/test", "/retry"):
        response = client.post(_settings_url(theirs.academy) + path, data={"csrf_token": token, "enabled": "y"})
        assert response.status_code == 404
    assert client.get("/records/lrs/999999999").status_code == 404
    assert db.session.scalar(select(LrsSettings).where(LrsSettings.academy_id == theirs.academy.id)) is None


def test_saving_settings_keeps_the_password_secret(app, client, db, world, lrs):
    mine = world["mine"]
    login(client, mine.registrar)
    url = _settings_url(mine.academy)
    data = {"endpoint": lrs.url, "username": "lms", "password": LRS_PASSWORD, "enabled": "y"}
    response = post_form(client, url, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    settings = db.session.scalar(select(LrsSettings).where(LrsSettings.academy_id == mine.academy.id))
    assert settings.enabled and settings.endpoint == lrs.url and not settings.actor_uses_email
    assert LRS_PASSWORD not in settings.password_encrypted and settings.decrypted_password() == LRS_PASSWORD
    page = client.get(url).get_data(as_text=True)
    assert LRS_PASSWORD not in page and settings.password_encrypted not in page
    assert lrs.url in page
    # A blank password keeps the stored one; the opt-in is saved; every change is audited without the password.
    response = post_form(client, url, {"endpoint": lrs.url, "username": "lms", "enabled": "y", "actor_uses_email": "y"})
    assert response.status_code == 302
    db.session.refresh(settings)
    assert settings.decrypted_password() == LRS_PASSWORD and settings.actor_uses_email
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "records.lrs_settings_changed")))
    assert len(events) == 2 and events[0].academy_id == mine.academy.id
    assert "password" in events[0].details["changed"] and events[1].details["changed"] == ["actor_uses_email"]
    assert LRS_PASSWORD not in json.dumps([e.details for e in events])
    # The test button posts one statement with the saved settings.
    response = post_form(client, url + "/test", page=url)
    assert response.status_code == 302
    assert len(lrs.requests) == 1 and lrs.requests[0]["body"]["verb"]["id"].endswith("/experienced")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "records.lrs_tested")) == 1
    assert "accepted the test statement" in client.get(url).get_data(as_text=True)


def test_settings_are_checked(app, client, db, world):
    mine = world["mine"]
    login(client, mine.registrar)
    url = _settings_url(mine.academy)
    for data in (
        {"endpoint": "ftp://lrs.example.org/xapi", "username": "x", "password": "y"},
        {"endpoint": "http://lrs.example.org/xapi", "username": "x", "password": "y"},  # https only by default
        {"endpoint": "", "enabled": "y"},
        {"endpoint": "https://lrs.example.org/xapi", "enabled": "y"},  # no credentials
    ):
        assert post_form(client, url, data).status_code == 422, data
    assert db.session.scalar(select(LrsSettings).where(LrsSettings.academy_id == mine.academy.id)) is None


def test_the_page_shows_counts_and_last_errors(client, db, world, lrs):
    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    _queue_everything(db, mine.academy)
    lrs.statuses = [500]
    with pytest.raises(xpush.PushError):
        xpush.push_pending(mine.academy.id)
    login(client, mine.registrar)
    page = client.get(_settings_url(mine.academy)).get_data(as_text=True)
    assert "HTTP 500" in page and "Waiting to be sent" in page
    summary = services.outbox_summary(mine.academy)
    assert (summary.pending, summary.sent, summary.failed) == (6, 0, 0)


# Privacy -------------------------------------------------------------------------------------------------


def test_retention_purges_only_old_sent_statements(app, db, world, lrs):
    from lms.privacy.services import purge, retention_policies

    mine = world["mine"]
    _enable(db, mine.academy, lrs.url)
    rows = _queue_everything(db, mine.academy)
    xpush.push_pending(mine.academy.id)
    old = datetime.now(UTC) - timedelta(days=400)
    rows[0].sent_at = rows[1].sent_at = old
    rows[2].state, rows[2].sent_at = "pending", None
    rows[3].state, rows[3].sent_at = "failed", None
    rows[3].created_at = old
    db.session.commit()
    assert "xapi_statements" in registry("data_retention")
    policy = next(p for p in retention_policies() if p.key == "xapi_statements")
    assert policy.setting == "RECORDS_XAPI_RETENTION_DAYS" and policy.days == 365
    ids = [r.id for r in rows]
    results = {r.policy.key: r.count for r in purge()}
    assert results["xapi_statements"] == 2
    left = {r.id for r in _outbox(db, mine.academy.id)}
    assert left == set(ids[2:])  # the recently sent, the pending and the refused stay


def test_the_download_holds_the_learners_statements(db, world, lrs):
    from lms.privacy.services import personal_data_chunks

    mine, theirs = world["mine"], world["theirs"]
    _enable(db, mine.academy, lrs.url)
    _enable(db, theirs.academy, lrs.url)
    _queue_everything(db, mine.academy)
    _queue_everything(db, theirs.academy)
    document = json.loads("".join(personal_data_chunks(mine.learner.id)))
    part = document["xapi_statements"]
    assert len(part) == 6 and {p["academy"] for p in part} == {mine.academy.slug}
    assert all(p["statement"]["actor"]["account"]["name"] == xs.site_from_app().account_name(mine.learner.id)
               for p in part)  # fmt: skip


def test_anonymising_deletes_pending_and_scrubs_sent_statements(db, world, lrs, users):
    from lms.privacy.services import anonymise_user

    mine = world["mine"]
    _enable(db, mine.academy, lrs.url, actor_uses_email=True)
    rows = _queue_everything(db, mine.academy)
    xpush.push_pending(mine.academy.id, limit=4)
    assert [r.state for r in _outbox(db, mine.academy.id)].count("pending") == 2
    email = mine.learner.email
    assert email in json.dumps([r.payload for r in rows])
    anonymise_user(users["admin"], mine.learner)
    left = _outbox(db, mine.academy.id)
    assert len(left) == 4 and {r.state for r in left} == {"sent"}
    assert email not in json.dumps([r.payload for r in left])
    assert all(r.payload["actor"]["account"]["name"] == xs.site_from_app().account_name(mine.learner.id) for r in left)
    # And from now on the export names the anonymised account by its account only, opt-in or not.
    assert "mbox" not in json.dumps(list(xs.iter_statements(ExportFilters(academy_ids=frozenset({mine.academy.id})))))


def test_the_password_is_unreadable_with_another_secret_key(app, db, world, monkeypatch):
    settings = LrsSettings(academy_id=world["mine"].academy.id, endpoint="https://lrs.example.org/xapi")
    settings.set_password(LRS_PASSWORD)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-key")
    from records.xapi.models import PasswordUnreadableError

    with pytest.raises(PasswordUnreadableError):
        settings.decrypted_password()
