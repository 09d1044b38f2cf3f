"""The `lms` command group: demo, users create and import (exit codes 0 / 1 / 2, messages on stderr)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.models import Academy, User, UserStatus
from lms.passwords import verify_password


def test_demo_loads_accounts_and_is_idempotent(app, runner, db):
    first = runner.invoke(args=["lms", "demo", "--password", "Demo-password-123"])
    assert first.exit_code == 0, first.output
    for name in ("admin", "registrar", "trainer", "learner", "teacher", "social-worker", "prosecutor"):
        assert re.search(rf"^\s+{name}\s+Demo-password-123", first.output, re.M), name
    count = db.session.scalar(select(func.count(User.id)))
    second = runner.invoke(args=["lms", "demo"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == count
    assert db.session.scalar(select(func.count(Academy.id)).where(Academy.slug.like("demo%"))) == 2
    learner = db.session.scalar(select(User).where(User.username == "learner"))
    printed = re.search(r"^\s+learner\s+(\S+)", second.output, re.M).group(1)
    assert verify_password(learner.password_hash, printed)
    assert learner.display_name == "Đorđe Čolić" and learner.profession == "police_officer"
    assert "TOTP secret" in second.output


def test_demo_sign_ins_work(app, runner, client):
    from tests.conftest import csrf_token

    runner.invoke(args=["lms", "demo", "--password", "Demo-password-123"])
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"login": "teacher", "password": "Demo-password-123", "csrf_token": token}
    )
    assert response.headers["Location"] == "/dashboard"


def test_users_create_reads_the_password_from_stdin(runner, db, academy):
    result = runner.invoke(
        args=[
            "lms",
            "users",
            "create",
            "--email",
            "Xhulja@Example.org",
            "--name",
            "Xhulja Çela",
            "--role",
            "trainer",
            "--profession",
            "teacher",
            "--country",
            "AL",
            "--language",
            "sq",
            "--academy",
            academy.slug,
        ],
        input="Mesuese-e-mire-88\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "xhulja@example.org"))
    assert user.display_name == "Xhulja Çela" and user.status == UserStatus.ACTIVE
    assert user.roles_in(academy.id) == {"trainer", "learner"}
    assert verify_password(user.password_hash, "Mesuese-e-mire-88")


def test_users_create_errors(runner, academy):
    result = runner.invoke(
        args=["lms", "users", "create", "--email", "a@example.org", "--name", "A", "--academy", "nowhere"],
        input="Whatever-long-1\n",
    )
    assert result.exit_code == 1 and "--academy: no academy 'nowhere'" in result.output
    result = runner.invoke(args=["lms", "users", "create", "--email", "a@example.org"])
    assert result.exit_code == 2  # usage: --name missing
    result = runner.invoke(
        args=["lms", "users", "create", "--email", "a@example.org", "--name", "A", "--academy", academy.slug],
        input="short\n",
    )
    assert result.exit_code == 1 and "--password" in result.output


def test_users_import_all_or_nothing(runner, db, academy, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,country\nok@example.org,Ok,RS\nbroken,Someone,Mars\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "users", "import", str(bad), "--academy", academy.slug])
    assert result.exit_code == 1
    assert f"{bad}:3: email:" in result.output and f"{bad}:3: country:" in result.output
    assert db.session.scalar(select(User).where(User.email == "ok@example.org")) is None
    good = tmp_path / "good.csv"
    good.write_text("email,name,country\nok@example.org,Ок Окић,RS\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "users", "import", str(good), "--academy", academy.slug, "--dry-run"])
    assert result.exit_code == 0 and db.session.scalar(select(User).where(User.email == "ok@example.org")) is None
    result = runner.invoke(args=["lms", "users", "import", str(good), "--academy", academy.slug])
    assert result.exit_code == 0
    assert db.session.scalar(select(User).where(User.email == "ok@example.org")).display_name == "Ок Окић"


def test_otp_only_for_demo_accounts(runner, users):
    result = runner.invoke(args=["lms", "users", "otp", users["admin"].username])
    assert result.exit_code == 1
