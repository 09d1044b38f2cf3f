"""Course files: trainers upload images and PDFs checked by content; only the course's learners and editors can
open them, with headers that keep a browser from running anything in them."""

from __future__ import annotations

import io

from sqlalchemy import select

from courses import enrolment as enrolments
from courses.media import clean_filename, media_path, sniff_type
from courses.models import Media
from tests.conftest import csrf_token, login
from tests.courses.test_packages import PNG

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, course, name: str, data: bytes):
    token = csrf_token(client, f"/teach/{course.id}/media")
    return client.post(
        f"/teach/{course.id}/media",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_trainer_uploads_and_learners_of_the_course_only_can_open(app, client, users, make_course, make_user, db):
    course = make_course()
    login(client, users["trainer"])
    assert upload(client, course, "Šema dokaza.png", PNG).status_code == 302
    item = db.session.scalar(select(Media).where(Media.course_id == course.id))
    assert (item.filename, item.content_type, item.size) == ("Sema-dokaza.png", "image/png", len(PNG))
    assert media_path(item).read_bytes() == PNG
    page = client.get(f"/teach/{course.id}/media").get_data(as_text=True)
    assert "![description](media/Sema-dokaza.png)" in page

    url = f"/learn/{course.slug}/media/Sema-dokaza.png"
    learner = app.test_client()
    login(learner, users["learner"])
    assert learner.get(url).status_code == 404  # not enrolled
    enrolments.self_enrol(users["learner"], course)
    response = learner.get(url)
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"].startswith("private")


def test_files_that_are_not_what_they_claim_are_refused(client, users, make_course, db):
    course = make_course()
    login(client, users["trainer"])
    for name, data in [
        ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("x.png", b"<html><script>alert(1)</script>"),
        ("x.png", PDF),
        ("x.html", PNG),
    ]:
        response = upload(client, course, name, data)
        assert response.status_code == 200, name
        assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Media).where(Media.course_id == course.id)) is None


def test_an_oversized_upload_is_refused(app, client, users, make_course, db):
    course = make_course()
    login(client, users["trainer"])
    app.config["COURSES_UPLOAD_MAX_BYTES"], limit = 1000, app.config["COURSES_UPLOAD_MAX_BYTES"]
    try:
        response = upload(client, course, "big.pdf", PDF + b"0" * 2000)
    finally:
        app.config["COURSES_UPLOAD_MAX_BYTES"] = limit
    assert "larger than" in response.get_data(as_text=True)


def test_another_academys_trainer_sees_nothing(client, make_user, make_course, other_academy, db):
    course = make_course()
    outsider = make_user("outsider", roles={other_academy: ["trainer"]})
    login(client, outsider)
    assert client.get(f"/teach/{course.id}/media").status_code == 404
    assert upload(client, course, "a.png", PNG).status_code == 404


def test_delete_removes_the_file_once_committed(client, users, make_course, db):
    course = make_course()
    login(client, users["trainer"])
    upload(client, course, "a.pdf", PDF)
    item = db.session.scalar(select(Media).where(Media.course_id == course.id))
    path = media_path(item)
    token = csrf_token(client, f"/teach/{course.id}/media")
    assert client.post(f"/teach/{course.id}/media/{item.id}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(Media).where(Media.course_id == course.id)) is None
    assert not path.exists()


def test_sniffing_and_file_names():
    assert sniff_type(PNG)[0] == "image/png"
    assert sniff_type(b"RIFF\0\0\0\0WEBPVP8 ")[0] == "image/webp"
    assert sniff_type(b"<svg") is None
    assert clean_filename("../../etc/Đurđa šuma.PNG") == "Djurdja-suma.PNG"
    assert clean_filename("C:\\docs\\file.pdf") == "file.pdf"
