"""Course packages: export -> import -> export is identical; import is validated first and all or nothing;
unsafe zips and folders are refused; the command line reports file, line and field."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import authoring, media, packages
from courses.models import Course, CourseStatus, Lesson, Module
from courses.package_source import MAX_MEMBER_BYTES, load_yaml
from lms.models import AuditEvent
from tests.conftest import csrf_token, login

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def rich_course(db, academy, make_course):
    """A published course using every field of the format: translations, a notice, a video, media."""
    course = make_course(
        title="Čuvanje digitalnih dokaza — Ђорђе", slug="evidence", professions=["police_officer"], publish=False
    )
    course.translations = {"sq": {"title": "Ruajtja e provave", "summary": "Përmbledhje ë ç"}}
    first, second = course.modules
    second.requires = [first.id]
    lesson = first.lessons[0]
    lesson.body_markdown = "## Hashing\n\nSee ![diagram](media/diagram.png).\n"
    lesson.content_notice = "This lesson describes how material is handled, without showing any."
    lesson.translations = {"sq": {"title": "Hashimi", "body_markdown": "Tekst shqip: ë ç"}}
    first.lessons[1].video_url = "https://vimeo.com/123"
    first.lessons[1].completion_mode = authoring.CompletionMode.VIEW
    second.lessons[0].required = False
    media.store_media(course, "diagram.png", PNG)
    db.session.commit()
    authoring.publish(None, course)
    return course


def write(folder: Path, files: dict[str, bytes | str]) -> Path:
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def problems_of(path: Path) -> list[dict]:
    with pytest.raises(packages.PackageInvalidError) as info:
        packages.check_package(path)
    return info.value.problems


def delete_course(db, course: Course) -> None:
    for item in media.course_media(course):
        media.forget_media(item)
    db.session.delete(course)
    db.session.commit()


def test_export_import_export_is_identical_for_folders_and_zips(db, academy, rich_course, tmp_path):
    first = packages.export_files(rich_course)
    assert sorted(first) == [
        "course.yaml",
        "lessons/module-1/lesson-1-1.md",
        "lessons/module-1/lesson-1-1.sq.md",
        "lessons/module-1/lesson-1-2.md",
        "lessons/module-2/lesson-2-1.md",
        "lessons/module-2/lesson-2-2.md",
        "media/diagram.png",
    ]
    packages.export_course(rich_course, tmp_path / "a.zip")
    packages.write_package(first, tmp_path / "folder")
    delete_course(db, rich_course)

    result = packages.import_package(tmp_path / "a.zip", academy=academy)
    assert (result.action, result.modules, result.lessons, result.media, result.version) == ("created", 2, 4, 1, 1)
    course = db.session.scalar(select(Course).where(Course.slug == "evidence"))
    assert course.status == CourseStatus.PUBLISHED and course.title == "Čuvanje digitalnih dokaza — Ђорђе"
    assert packages.export_files(course) == first
    packages.export_course(course, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()

    delete_course(db, course)
    packages.import_package(tmp_path / "folder", academy=academy)
    course = db.session.scalar(select(Course).where(Course.slug == "evidence"))
    assert packages.export_files(course) == first


def test_the_yaml_follows_the_documented_order_and_keeps_the_script(rich_course):
    text = packages.export_files(rich_course)["course.yaml"].decode()
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "-"))]
    assert keys == [
        "format", "slug", "title", "summary", "language", "status", "translations", "professions", "topics",
        "estimated_hours", "self_enrolment", "restricted", "prerequisites", "completion", "modules",
    ]  # fmt: skip
    assert "Ђорђе" in text and "\\u" not in text
    assert "requires:\n  - module-1" in text


def test_importing_the_same_package_again_changes_nothing(db, academy, rich_course, tmp_path):
    packages.export_course(rich_course, tmp_path / "p")
    versions_before = rich_course.current_version.number
    result = packages.import_package(tmp_path / "p", academy=academy)
    assert result.action == "unchanged" and result.version == versions_before


def test_reimport_updates_in_place_and_keeps_lesson_ids(db, academy, rich_course, tmp_path):
    packages.export_course(rich_course, tmp_path / "p")
    ids = {lesson.slug: lesson.id for m in rich_course.modules for lesson in m.lessons}
    yaml_path = tmp_path / "p" / "course.yaml"
    text = yaml_path.read_text().replace("title: Lesson 1.2", "title: Lesson 1.2 (revised)")
    # Drop module-2's second lesson from the outline and its file.
    text = text.replace("  - slug: lesson-2-2\n    title: Lesson 2.2\n", "  - slug: lesson-2-2-gone\n    title: X\n")
    yaml_path.write_text(text)
    (tmp_path / "p/lessons/module-2/lesson-2-2.md").rename(tmp_path / "p/lessons/module-2/lesson-2-2-gone.md")
    result = packages.import_package(tmp_path / "p", academy=academy)
    assert (result.action, result.version) == ("updated", 2)
    db.session.expire_all()
    lessons = {lesson.slug: lesson for m in rich_course.modules for lesson in m.lessons}
    assert lessons["lesson-1-2"].id == ids["lesson-1-2"] and lessons["lesson-1-2"].title == "Lesson 1.2 (revised)"
    assert "lesson-2-2" not in lessons and lessons["lesson-2-2-gone"].id not in ids.values()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.imported")) is not None


def test_errors_name_file_line_and_field_and_nothing_is_written(db, academy, tmp_path):
    write(
        tmp_path,
        {
            "course.yaml": (
                "format: 1\nslug: Bad Slug\ntitle: T\nlanguage: xx\nprofessions: [police_officer, astronaut]\n"
                "estimated_hours: -2\nstatus: published\nmodules:\n  - slug: m\n    title: M\n    requires: [nope]\n"
                "    lessons:\n      - slug: l\n        title: L\n        video_url: http://example.org/v\n"
                "        colour: red\n"
            ),
            "lessons/m/stray.md": "x",
        },
    )
    found = {(p["file"], p["line"], p["field"]) for p in problems_of(tmp_path)}
    assert ("course.yaml", 2, "slug") in found
    assert ("course.yaml", 4, "language") in found
    assert ("course.yaml", 5, "professions") in found
    assert ("course.yaml", 6, "estimated_hours") in found
    assert ("course.yaml", 11, "modules[0].requires") in found
    assert ("course.yaml", 15, "modules[0].lessons[0].video_url") in found
    assert ("course.yaml", 16, "modules[0].lessons[0].colour") in found
    assert ("lessons/m/l.md", None, "") in found  # the lesson file is missing
    assert ("lessons/m/stray.md", None, "") in found
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_a_broken_media_link_is_reported_at_its_line(db, tmp_path):
    write(
        tmp_path,
        {
            "course.yaml": "format: 1\nslug: c\ntitle: C\nlanguage: en\nmodules:\n"
            "  - slug: m\n    title: M\n    lessons:\n      - {slug: l, title: L}\n",
            "lessons/m/l.md": "Intro\n\n![x](media/missing.png)\n",
        },
    )
    assert problems_of(tmp_path) == [
        {
            "file": "lessons/m/l.md",
            "line": 3,
            "field": "",
            "message": "The linked file media/missing.png is not in the package.",
        }
    ]


def test_invalid_yaml_and_duplicate_keys_and_aliases(tmp_path):
    cases = {
        "format: 1\nslug: [unclosed\n": 3,
        "format: 1\nslug: a\nslug: b\n": 3,
        "format: 1\nbase: &b {x: 1}\nother: *b\n": 2,  # reported where the anchor is
    }
    for text, line in cases.items():
        write(tmp_path, {"course.yaml": text})
        (problem,) = problems_of(tmp_path)
        assert problem["file"] == "course.yaml" and problem["line"] == line, (text, problem)


def test_load_yaml_maps_fields_to_lines():
    _data, lines = load_yaml("a: 1\nlist:\n  - x: 2\n    y: 3\n")
    assert lines["a"] == 1 and lines["list[0].x"] == 3 and lines["list[0].y"] == 4


def test_an_uploaded_file_must_be_what_it_claims(db, tmp_path):
    write(
        tmp_path,
        {
            "course.yaml": "format: 1\nslug: c\ntitle: C\nlanguage: en\n",
            "media/fake.png": b"<svg onload=alert(1)>",
            "media/photo.pdf": PNG,
        },
    )
    files = {p["file"] for p in problems_of(tmp_path)}
    assert files == {"media/fake.png", "media/photo.pdf"}


def _zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


MINIMAL = b"format: 1\nslug: c\ntitle: C\nlanguage: en\n"


@pytest.mark.parametrize(
    "member",
    ["../evil.txt", "/etc/cron.d/evil", "lessons/../../evil.md", "C:/evil.txt", "lessons\\..\\evil.md"],
)
def test_zip_members_leaving_the_package_are_refused(tmp_path, member):
    path = _zip(tmp_path / "p.zip", [("course.yaml", MINIMAL), (member, b"x")])
    (problem,) = problems_of(path)
    assert "leaves the package" in problem["message"]


def test_zip_symlinks_are_refused(tmp_path):
    link = zipfile.ZipInfo("media/link.png")
    link.external_attr = (0o120777) << 16
    path = _zip(tmp_path / "p.zip", [("course.yaml", MINIMAL), (link, b"/etc/passwd")])
    (problem,) = problems_of(path)
    assert "Symbolic links" in problem["message"]


def test_folder_symlinks_are_refused(tmp_path):
    write(tmp_path / "p", {"course.yaml": MINIMAL})
    os.symlink("/etc/passwd", tmp_path / "p" / "notes.txt")
    (problem,) = problems_of(tmp_path / "p")
    assert "Symbolic links" in problem["message"]


def test_zip_bombs_and_oversized_members_are_refused(tmp_path):
    bomb = _zip(tmp_path / "bomb.zip", [("course.yaml", MINIMAL), ("media/a.png", b"\0" * (20 * 2**20))])
    assert (bomb.stat().st_size) < 100_000
    (problem,) = problems_of(bomb)
    assert "zip bomb" in problem["message"]

    big = os.urandom(MAX_MEMBER_BYTES + 1)
    stored = zipfile.ZipInfo("media/big.png")
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("course.yaml", MINIMAL)
        archive.writestr(stored, big)
    (problem,) = problems_of(path)
    assert "larger" in problem["message"]


def test_a_damaged_zip_is_refused(tmp_path):
    path = _zip(tmp_path / "p.zip", [("course.yaml", MINIMAL * 50)])
    data = bytearray(path.read_bytes())
    data[40:60] = b"\xff" * 20
    path.write_bytes(bytes(data))
    assert problems_of(path)


def test_a_failure_while_writing_leaves_nothing(db, academy, rich_course, tmp_path, monkeypatch):
    packages.export_course(rich_course, tmp_path / "p")
    delete_course(db, rich_course)
    stored_before = set(Path(media.media_dir()).iterdir())

    def broken(course, status, actor):
        raise RuntimeError("disk full")

    monkeypatch.setattr(packages, "_write_status", broken)
    with pytest.raises(RuntimeError):
        packages.import_package(tmp_path / "p", academy=academy)
    assert db.session.scalar(select(func.count(Course.id))) == 0
    assert db.session.scalar(select(func.count(Lesson.id))) == 0
    assert set(Path(media.media_dir()).iterdir()) == stored_before


def test_a_trainer_cannot_import_over_another_academys_course(db, rich_course, make_user, other_academy, tmp_path):
    packages.export_course(rich_course, tmp_path / "p")
    outsider = make_user("outsider", roles={other_academy: ["trainer"]})
    (tmp_path / "p/course.yaml").write_text(
        (tmp_path / "p/course.yaml").read_text().replace("title: Lesson 1.1", "title: X")
    )
    with pytest.raises(authoring.DomainError):
        packages.import_package(tmp_path / "p", academy=other_academy, actor=outsider)
    assert db.session.scalar(select(Module.title).where(Module.course_id == rich_course.id).limit(1)) == "Module 1"


def test_cli_list_export_import_and_errors(app, db, academy, rich_course, runner, tmp_path):
    result = runner.invoke(args=["lms", "courses", "list", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = [r for r in json.loads(result.output) if r["slug"] == "evidence"]
    assert row == {
        "slug": "evidence",
        "title": "Čuvanje digitalnih dokaza — Ђорђе",
        "language": "en",
        "languages": ["en", "sq"],
        "status": "published",
        "modules": 2,
        "lessons": 4,
        "quizzes": 0,
        "academy": "police",
    }
    result = runner.invoke(args=["lms", "courses", "export", "evidence", "-o", str(tmp_path / "e.zip")])
    assert result.exit_code == 0 and zipfile.is_zipfile(tmp_path / "e.zip")
    result = runner.invoke(args=["lms", "courses", "import", str(tmp_path / "e.zip"), "--dry-run"])
    assert result.exit_code == 0 and "nothing written" in result.output
    assert runner.invoke(args=["lms", "courses", "export", "nope", "-o", str(tmp_path / "x")]).exit_code == 1

    write(tmp_path / "bad", {"course.yaml": "format: 1\nslug: ok\ntitle: ''\nlanguage: en\n"})
    result = runner.invoke(args=["lms", "courses", "import", str(tmp_path / "bad")])
    assert result.exit_code == 1
    assert "course.yaml:3: title: Required." in result.output
    assert "nothing was imported" in result.output


def test_zip_output_is_deterministic(rich_course):
    files = packages.export_files(rich_course)
    one, two = packages.zip_bytes(files), packages.zip_bytes(dict(reversed(list(files.items()))))
    assert one == two
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        assert archive.namelist() == sorted(files)


def test_trainer_downloads_and_imports_packages_in_the_browser(app, client, users, rich_course, academy, db):
    login(client, users["trainer"])
    response = client.get(f"/teach/{rich_course.id}/package")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.data == packages.zip_bytes(packages.export_files(rich_course))

    changed = packages.export_files(rich_course)
    changed["course.yaml"] = changed["course.yaml"].replace(b"title: Module 2", b"title: Module two")
    token = csrf_token(client, "/teach/import")
    response = client.post(
        "/teach/import",
        data={
            "csrf_token": token,
            "academy": str(academy.id),
            "file": (io.BytesIO(packages.zip_bytes(changed)), "p.zip"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert rich_course.modules[1].title == "Module two"

    broken = dict(changed)
    del broken["lessons/module-1/lesson-1-1.md"]
    token = csrf_token(client, "/teach/import")
    response = client.post(
        "/teach/import",
        data={
            "csrf_token": token,
            "academy": str(academy.id),
            "file": (io.BytesIO(packages.zip_bytes(broken)), "p.zip"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "nothing was imported" in page and "lesson-1-1.md" in page


def test_another_academys_trainer_cannot_download_the_package(client, make_user, rich_course, other_academy):
    login(client, make_user("outsider", roles={other_academy: ["trainer"]}))
    assert client.get(f"/teach/{rich_course.id}/package").status_code == 404
