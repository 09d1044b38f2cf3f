"""Completion exports (records.exports): every kind in every format, the filters, the academy scope, formula
escaping, the progress columns equal to the course report's, the page and ``lms records export``, the audit."""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine

from certificates.accreditations import AccreditationFields, create_accreditation
from certificates.models import Certificate
from courses import enrolment as enrolments
from courses.models import Enrolment
from courses.reports import ReportFilters, report_columns, report_rows
from lms.exceptions import DomainError, NotFoundError
from lms.models import AuditEvent, Cohort, CohortMember
from quizzes.models import Attempt
from records import exports
from records.filters import FORMATS, KINDS, ExportFilters
from tests.conftest import csrf_from, login
from tests.records.api.conftest import _side

FORMULA_NAME = '=HYPERLINK("http://evil.example","Click")'


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


@pytest.fixture
def world(db, users, academy, other_academy, make_user, make_course):
    """Academy ``mine`` (the registrar's): the learner (police officer, RS, in the cohort) and a second learner
    (social worker, BA, not in it, with a formula for a name) in one course, an attempt and a certificate of the
    first; academy ``theirs`` with the same kinds of records, none of which the registrar may see."""
    theirs_registrar = make_user("registrar2", roles={other_academy: ["registrar"]})
    theirs_learner = make_user(
        "learner2", roles={other_academy: ["learner"]}, profession="judge", country="BA", display_name="Their Learner"
    )
    mine = _side(academy, users["registrar"], users["learner"], make_course)
    theirs = _side(other_academy, theirs_registrar, theirs_learner, make_course)
    second = make_user(
        "learner3", roles={academy: ["learner"]}, profession="social_worker", country="BA", display_name=FORMULA_NAME
    )
    second_enrolment = enrolments.enrol_users(users["registrar"], mine.course, [second]).enrolled[0]
    cohort = Cohort(academy_id=academy.id, name="Cohort A")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=users["learner"].id))
    # Fixed dates, so the date filters have something to tell apart.
    dates = {
        mine.enrolment.id: ("2026-01-10", "2026-01-12"),
        second_enrolment.id: ("2026-02-10", None),
        theirs.enrolment.id: ("2026-01-10", "2026-01-12"),
    }
    for enrolment_id, (enrolled, active) in dates.items():
        db.session.execute(
            update(Enrolment)
            .where(Enrolment.id == enrolment_id)
            .values(enrolled_at=_at(enrolled), last_activity_at=_at(active) if active else None)
        )
    db.session.execute(update(Attempt).values(started_at=_at("2026-01-11"), finished_at=_at("2026-01-11")))
    db.session.commit()
    return {"mine": mine, "theirs": theirs, "second": second, "cohort": cohort, "users": users}


def _filters(actor, **wanted) -> ExportFilters:
    return exports.build_filters(actor, exports.FilterInput(**wanted))


def _export(actor, kind: str, fmt: str, **wanted) -> bytes:
    out = io.BytesIO()
    exports.export(actor, kind, fmt, _filters(actor, **wanted), out)
    return out.getvalue()


def _table(data: bytes, fmt: str) -> tuple[list[str], list[list]]:
    """Header and rows of an export, whatever its format (JSON objects come back as lists of their values)."""
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return lines[0], lines[1:]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        return [str(v) for v in values[0]], [["" if v is None else v for v in row] for row in values[1:]]
    items = json.loads(data)
    return (list(items[0]) if items else []), [list(item.values()) for item in items]


def _names(rows: list[list], index: int) -> set[str]:
    return {str(row[index]).lstrip("'") for row in rows}


def _column(kind: str, key: str) -> int:
    return [k for k, _label in exports.columns(kind)].index(key)


def _person(kind: str) -> int:
    return _column(kind, "holder" if kind == "certificates" else "name")


# --- every kind in every format ---------------------------------------------------------------------------

EXPECTED_MINE = {
    "progress": {"User 1", FORMULA_NAME},
    "enrolments": {"User 1", FORMULA_NAME},
    "results": {"User 1"},
    "certificates": {"User 1"},
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_and_format_holds_the_registrars_records_only(world, kind, fmt):
    registrar = world["users"]["registrar"]
    header, rows = _table(_export(registrar, kind, fmt), fmt)
    keys, labels = zip(*exports.columns(kind), strict=True)
    assert header == list(keys if fmt == "json" else labels)
    assert all(len(row) == len(header) for row in rows)
    names = _names(rows, _person(kind))
    holder_names = {world["mine"].certificate.holder_name}
    assert names == (holder_names if kind == "certificates" else EXPECTED_MINE[kind])
    assert "Their Learner" not in names and world["theirs"].course.title not in {str(r[1]) for r in rows}


@pytest.mark.parametrize("kind", KINDS)
def test_an_administrator_exports_every_academy(world, kind):
    header, rows = _table(_export(world["users"]["admin"], kind, "json"), "json")
    academies = {row[0] for row in rows}
    assert academies == {"Police Academy", "Judicial Academy"}


def test_json_is_an_array_of_objects_with_typed_values(world):
    items = json.loads(_export(world["users"]["registrar"], "progress", "json"))
    first = next(i for i in items if i["name"] == "User 1")
    assert first["progress"] == 50 and isinstance(first["progress"], int)
    assert first["enrolled_on"] == "2026-01-10" and first["last_activity"] == "2026-01-12"
    certificate = json.loads(_export(world["users"]["registrar"], "certificates", "json"))[0]
    assert certificate["cpd_hours"] == 8.0 and certificate["serial"] == world["mine"].certificate.serial
    assert certificate["status"] == "Valid" and certificate["valid_until"] == ""


def test_xlsx_opens_with_a_bold_header_and_numbers_as_numbers(world):
    data = _export(world["users"]["registrar"], "progress", "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == [label for _k, label in exports.columns("progress")]
    assert sheet["A1"].font.b
    progress = [row[_column("progress", "progress")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(progress) == [0, 50]


def test_xapi_writes_the_statements_as_a_json_array(world, monkeypatch):
    seen = []

    def fake(filters, kind):
        seen.append((filters, kind))
        yield {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "n": 1}
        yield {"verb": {"id": "http://adlnet.gov/expapi/verbs/registered"}, "n": 2}

    monkeypatch.setattr("records.xapi.statements.iter_statements", fake)
    registrar = world["users"]["registrar"]
    out = io.BytesIO()
    count = exports.export(registrar, "enrolments", "xapi", _filters(registrar, country="RS"), out)
    assert count == 2 and [s["n"] for s in json.loads(out.getvalue())] == [1, 2]
    assert seen[0][1] == "enrolments" and seen[0][0].academy_ids == {world["mine"].academy.id}
    assert seen[0][0].country == "RS"


def test_xapi_with_the_real_statements_parses(world):
    statements = json.loads(_export(world["users"]["registrar"], "results", "xapi"))
    assert isinstance(statements, list) and statements
    assert all("verb" in s and "actor" in s for s in statements)


# --- filters ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "wanted", "expected"),
    [
        ("progress", {"profession": "social_worker"}, {FORMULA_NAME}),
        ("progress", {"country": "RS"}, {"User 1"}),
        ("enrolments", {"country": "BA"}, {FORMULA_NAME}),
        ("results", {"profession": "social_worker"}, set()),
        ("certificates", {"country": "RS"}, {"User 1"}),
        ("certificates", {"profession": "judge"}, set()),
    ],
)
def test_profession_and_country(world, kind, wanted, expected):
    _header, rows = _table(_export(world["users"]["registrar"], kind, "json", **wanted), "json")
    assert _names(rows, _person(kind)) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_cohort(world, kind):
    registrar = world["users"]["registrar"]
    _header, rows = _table(_export(registrar, kind, "csv", cohort_id=world["cohort"].id), "csv")
    assert _names(rows, _person(kind)) == {"User 1"}


@pytest.mark.parametrize("kind", KINDS)
def test_course(world, make_course, kind):
    registrar = world["users"]["registrar"]
    empty = make_course(academy_=world["mine"].academy)
    _h, rows = _table(_export(registrar, kind, "json", course_id=world["mine"].course.id), "json")
    assert rows
    _h, rows = _table(_export(registrar, kind, "json", course_id=empty.id), "json")
    assert rows == []


@pytest.mark.parametrize(
    ("kind", "since", "until", "expected"),
    [
        # progress: last activity, or the enrolment for a learner never active
        ("progress", date(2026, 1, 12), date(2026, 1, 12), {"User 1"}),
        ("progress", date(2026, 1, 13), None, {FORMULA_NAME}),
        ("progress", None, date(2026, 1, 11), set()),
        # enrolments: the day of enrolment
        ("enrolments", date(2026, 1, 10), date(2026, 1, 10), {"User 1"}),
        ("enrolments", date(2026, 1, 11), None, {FORMULA_NAME}),
        # results: the end of the attempt
        ("results", date(2026, 1, 11), date(2026, 1, 11), {"User 1"}),
        ("results", date(2026, 1, 12), None, set()),
        # certificates: the day of issue
        ("certificates", None, date(2000, 1, 1), set()),
    ],
)
def test_date_range(world, kind, since, until, expected):
    _h, rows = _table(_export(world["users"]["registrar"], kind, "json", since=since, until=until), "json")
    assert _names(rows, _person(kind)) == expected


def test_certificates_by_day_of_issue(world, db):
    certificate = world["mine"].certificate
    db.session.execute(update(Certificate).where(Certificate.id == certificate.id).values(issued_on=date(2026, 3, 1)))
    db.session.commit()
    registrar = world["users"]["registrar"]
    assert json.loads(_export(registrar, "certificates", "json", since=date(2026, 3, 1), until=date(2026, 3, 1)))
    assert not json.loads(_export(registrar, "certificates", "json", since=date(2026, 3, 2)))


def test_bad_filters_are_refused(world):
    registrar = world["users"]["registrar"]
    with pytest.raises(DomainError) as caught:
        _filters(registrar, profession="astronaut")
    assert caught.value.field == "profession"
    with pytest.raises(DomainError) as caught:
        _filters(registrar, since=date(2026, 2, 1), until=date(2026, 1, 1))
    assert caught.value.field == "since"


# --- scope ------------------------------------------------------------------------------------------------


def test_a_registrar_never_reaches_another_academy(world, db):
    registrar = world["users"]["registrar"]
    theirs = world["theirs"]
    their_cohort = Cohort(academy_id=theirs.academy.id, name="Their cohort")
    db.session.add(their_cohort)
    db.session.commit()
    for wanted, field in [
        ({"academy_id": theirs.academy.id}, "academy"),
        ({"course_id": theirs.course.id}, "course"),
        ({"cohort_id": their_cohort.id}, "cohort"),
        ({"academy_id": 2**40}, "academy"),
        ({"course_id": 10**7}, "course"),
    ]:
        with pytest.raises(NotFoundError) as caught:
            _filters(registrar, **wanted)
        assert caught.value.field == field
    # Filters made by hand cannot widen the scope either.
    for academy_ids in (None, frozenset({theirs.academy.id}), frozenset({world["mine"].academy.id, theirs.academy.id})):
        with pytest.raises(NotFoundError):
            exports.start_export(registrar, "progress", "csv", ExportFilters(academy_ids=academy_ids))
    # Their own academy, named, is fine.
    assert _filters(registrar, academy_id=world["mine"].academy.id).academy_ids == {world["mine"].academy.id}


def test_a_registrar_may_filter_by_a_course_their_academy_accredits(world):
    registrar = world["users"]["registrar"]
    fields = AccreditationFields(curriculum_code="OTHER-1", credit_hours=Decimal("4"))
    create_accreditation(None, world["mine"].academy, world["theirs"].course, fields)
    assert _filters(registrar, course_id=world["theirs"].course.id).course_id == world["theirs"].course.id


@pytest.mark.parametrize("role", ["learner", "trainer"])
def test_others_may_not_export(world, role):
    with pytest.raises(exports.ExportNotAllowedError):
        _filters(world["users"][role])
    with pytest.raises(exports.ExportNotAllowedError):
        exports.start_export(world["users"][role], "progress", "csv", ExportFilters(academy_ids=frozenset({1})))


def test_unknown_kind_or_format(world):
    filters = _filters(world["users"]["registrar"])
    with pytest.raises(DomainError):
        exports.start_export(world["users"]["registrar"], "grades", "csv", filters)
    with pytest.raises(DomainError):
        exports.start_export(world["users"]["registrar"], "progress", "pdf", filters)


# --- formula escaping ---------------------------------------------------------------------------------------


def test_csv_escapes_text_a_spreadsheet_would_run(world):
    _header, rows = _table(_export(world["users"]["registrar"], "progress", "csv"), "csv")
    names = {row[_column("progress", "name")] for row in rows}
    assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_dangerous_start_is_escaped(start):
    data = b"".join(exports.write_csv(["h"], iter([[f"{start}1+1", 5, None]])))
    assert data.decode("utf-8-sig").splitlines()[1].startswith(("'", "\"'"))
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1] == [f"'{start}1+1", "5", ""]


def test_xlsx_stores_a_formula_like_name_as_text(world):
    data = _export(world["users"]["registrar"], "progress", "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [row[_column("progress", "name")] for row in sheet.iter_rows(min_row=2)]
    formula = next(c for c in cells if c.value == FORMULA_NAME)
    assert formula.data_type == "s"


# --- progress: the columns and values of the course report ------------------------------------------------


def test_progress_columns_and_values_are_the_course_reports(world):
    course = world["mine"].course
    header, rows = _table(_export(world["users"]["registrar"], "progress", "csv", course_id=course.id), "csv")
    assert header[:2] == ["Academy", "Course"] and header[2:] == report_columns()
    on_screen = [[str(v) for v in r.cells()] for r in report_rows(course, ReportFilters())]
    assert [row[2:] for row in rows] == [[v if not v.startswith("=") else "'" + v for v in r] for r in on_screen]
    assert {row[0] for row in rows} == {"Police Academy"} and {row[1] for row in rows} == {course.title}


# --- audit ------------------------------------------------------------------------------------------------


def _events(db) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "records.exported")))


def test_every_export_is_audited_with_filters_and_rows(world, db):
    registrar = world["users"]["registrar"]
    _export(registrar, "progress", "csv", country="BA")
    (event,) = _events(db)
    assert event.actor_id == registrar.id and event.academy_id == world["mine"].academy.id
    assert event.details["kind"] == "progress" and event.details["format"] == "csv"
    assert event.details["rows"] == 1 and event.details["complete"] is True
    assert event.details["filters"]["country"] == "BA"
    assert event.details["filters"]["academies"] == [world["mine"].academy.id]


def test_an_export_cut_short_is_audited_as_incomplete(world, db):
    registrar = world["users"]["registrar"]
    job = exports.start_export(registrar, "progress", "csv", _filters(registrar))
    chunks = job.chunks()
    next(chunks)
    chunks.close()
    (event,) = _events(db)
    assert event.details["complete"] is False


def test_the_preview_is_not_audited(world, db):
    rows = exports.preview(world["users"]["registrar"], "progress", _filters(world["users"]["registrar"]))
    assert len(rows) == 2 and not _events(db)


# --- the page ---------------------------------------------------------------------------------------------

ROLES = ["anonymous", "learner", "trainer", "registrar", "admin"]


def _download(client, query: str = ""):
    """Download as a browser does: the filters and the token of the page, by POST."""
    token = csrf_from(client.get(f"/records/exports?{query}").get_data(as_text=True))
    fields = dict(pair.split("=", 1) for pair in query.split("&") if pair)
    return client.post("/records/exports/download", data={"csrf_token": token, **fields})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["page", "download"])
def test_page_access(client, world, role, method):
    if role != "anonymous":
        login(client, world["users"][role])
    if method == "page":
        response = client.get("/records/exports")
    else:
        token = csrf_from(client.get("/").get_data(as_text=True))
        response = client.post("/records/exports/download", data={"csrf_token": token})
    if role == "anonymous":
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    elif role in ("learner", "trainer"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200


def test_download_needs_its_token_and_a_post(client, world):
    login(client, world["users"]["registrar"])
    assert client.get("/records/exports/download").status_code == 405
    assert client.post("/records/exports/download", data={"kind": "results"}).status_code == 400


def test_page_previews_the_first_rows_with_the_export_columns(client, world):
    login(client, world["users"]["registrar"])
    html = client.get("/records/exports?kind=progress&country=RS").get_data(as_text=True)
    assert "User 1" in html and "HYPERLINK" not in html and "Their Learner" not in html
    for label in report_columns():
        assert f'<th scope="col">{label}</th>' in html
    assert 'href="/records/exports"' in client.get("/dashboard").get_data(as_text=True)


def test_page_refuses_another_academy(client, world):
    login(client, world["users"]["registrar"])
    theirs = world["theirs"]
    assert client.get(f"/records/exports?academy={theirs.academy.id}").status_code == 422
    assert client.get(f"/records/exports?course={theirs.course.id}").status_code == 422
    assert _download(client, f"academy={theirs.academy.id}").status_code == 400


@pytest.mark.parametrize(
    ("fmt", "mimetype"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("json", "application/json"),
    ],
)
def test_download_streams_the_file_and_audits_it(client, world, db, fmt, mimetype):
    login(client, world["users"]["registrar"])
    response = _download(client, f"kind=results&format={fmt}")
    assert response.status_code == 200 and response.headers["Content-Type"] == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="results-') and disposition.endswith(f'.{fmt}"')
    _header, rows = _table(response.get_data(), fmt)
    assert _names(rows, _person("results")) == {"User 1"}
    (event,) = _events(db)
    assert event.details["rows"] == 1 and event.details["format"] == fmt


# --- the command line -------------------------------------------------------------------------------------


def test_cli_writes_a_file(runner, world, db, tmp_path):
    path = tmp_path / "progress.xlsx"
    result = runner.invoke(
        args=["lms", "records", "export", "--format", "xlsx", "--academy", "police", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(path).active
    assert sheet.max_row == 3  # the header and the two learners of the police academy
    (event,) = _events(db)
    assert event.actor_id is None and event.ip == "cli" and event.details["rows"] == 2


def test_cli_writes_to_stdout_with_every_filter(runner, world):
    args = ["lms", "records", "export", "--format", "csv", "--kind", "enrolments", "--academy", "police"]
    args += ["--course", world["mine"].course.slug, "--cohort", str(world["cohort"].id), "--profession"]
    args += ["police_officer", "--country", "rs", "--since", "2026-01-01", "--until", "2026-12-31", "-o", "-"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert lines[0] == [label for _k, label in exports.columns("enrolments")]
    assert [line[2] for line in lines[1:]] == ["User 1"]


def test_cli_default_kind_is_progress_and_every_academy(runner, world):
    result = runner.invoke(args=["lms", "records", "export", "--format", "json", "-o", "-"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout_bytes)
    assert {i["academy"] for i in items} == {"Police Academy", "Judicial Academy"} and "progress" in items[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--academy", "nowhere"], "--academy"),
        (["--course", "nothing"], "--course"),
        (["--cohort", "999999"], "--cohort"),
        (["--since", "2026-13-01"], "--since"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "--since"),
        (["--kind", "grades"], "--kind"),
        (["--profession", "astronaut"], "--profession"),
    ],
)
def test_cli_errors_name_the_option_and_exit_2(runner, world, db, extra, message):
    result = runner.invoke(args=["lms", "records", "export", "--format", "csv", "-o", "-", *extra])
    assert result.exit_code == 2 and message in result.output
    assert not _events(db)


def test_every_format_is_offered(world):
    assert set(exports.format_labels()) == set(FORMATS) and set(exports.kind_labels()) == set(KINDS)


# --- no query per row -------------------------------------------------------------------------------------


@contextmanager
def _statements():
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.parametrize("kind", KINDS)
def test_the_number_of_queries_does_not_grow_with_the_rows(world, make_user, kind):
    registrar = world["users"]["registrar"]
    filters = _filters(registrar)
    with _statements() as few:
        exports.export(registrar, kind, "csv", filters, io.BytesIO())
    more = [make_user(f"extra{i}", roles={world["mine"].academy: ["learner"]}) for i in range(5)]
    enrolments.enrol_users(registrar, world["mine"].course, more)
    filters = _filters(registrar)  # the registrar and their memberships, read again after the commit
    with _statements() as many:
        rows = exports.export(registrar, kind, "csv", filters, io.BytesIO())
    assert few and len(many) == len(few), many
    if kind in ("progress", "enrolments"):
        assert rows == 7
