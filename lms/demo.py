"""Demo data: academies and one account per kind of user. Idempotent: running it again updates in place.

Plugins add their demo content by registering a callable in the ``demo`` registry (called in order, with the
:class:`DemoContext`), so the core needs no knowledge of courses or quizzes.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

from sqlalchemy import select

from lms import audit, twofactor
from lms.extensions import db
from lms.models import Academy, Membership, User, UserStatus
from lms.passwords import hash_password
from lms.registry import registry

ACADEMIES = [
    ("demo", "Regional Training Academy for Child Protection (demo)", "BA"),
    ("demo-judicial", "Judicial Academy (demo)", "RS"),
]

# sign-in name, display name (as written), profession, country, language, {academy slug: roles}, admin
ACCOUNTS = [
    ("admin", "Platform Administrator", "other", "other", "en", {}, True),
    ("registrar", "Ivana Šimić", "other", "HR", "hr", {"demo": ["registrar"]}, False),
    ("trainer", "Marko Kovačević", "other", "ME", "sr_Latn", {"demo": ["trainer", "learner"]}, False),
    ("learner", "Đorđe Čolić", "police_officer", "RS", "sr_Latn", {"demo": ["learner"]}, False),
    ("teacher", "Xhulja Çela", "teacher", "AL", "sq", {"demo": ["learner"]}, False),
    ("social-worker", "Amra Hadžić", "social_worker", "BA", "bs", {"demo": ["learner"]}, False),
    (
        "prosecutor",
        "Ана Стојановска",
        "prosecutor",
        "MK",
        "mk",
        {"demo": ["learner"], "demo-judicial": ["learner"]},
        False,
    ),
]


@dataclass
class DemoContext:
    academies: dict[str, Academy]
    users: dict[str, User]
    messages: list[str] = field(default_factory=list)


@dataclass
class DemoAccount:
    username: str
    email: str
    password: str
    roles: str
    totp_secret: str | None


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def _academies() -> dict[str, Academy]:
    found = {}
    for slug, name, country in ACADEMIES:
        academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
        if academy is None:
            academy = Academy(slug=slug, name=name, country=country)
            db.session.add(academy)
        found[slug] = academy
    db.session.flush()
    return found


def _account(spec: tuple, academies: dict[str, Academy], password: str) -> User:
    username, name, profession, country, language, roles, is_admin = spec
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username,
            email=f"{username}@demo.example",
            display_name=name,
            profession=profession,
            country=country,
            language=language,
        )
        db.session.add(user)
    user.status = UserStatus.ACTIVE
    user.is_admin = is_admin
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 1) + 1  # a new password ends old demo sessions
    for slug, role_names in roles.items():
        for role in role_names:
            if role not in user.roles_in(academies[slug].id):
                user.memberships.append(Membership(academy=academies[slug], role=role))
    db.session.flush()
    if user.needs_two_factor and not user.totp_enabled:
        user.totp_secret = twofactor.new_secret()
        user.totp_enabled = True
    return user


def load_demo(password: str | None = None) -> tuple[list[DemoAccount], DemoContext]:
    """Create or refresh the demo academies, accounts and plugin content; return the sign-ins to print."""
    academies = _academies()
    accounts, users = [], {}
    for spec in ACCOUNTS:
        pw = password or _password()
        user = _account(spec, academies, pw)
        users[user.username] = user
        accounts.append(
            DemoAccount(
                user.username,
                user.email,
                pw,
                ", ".join(sorted(user.role_names)),
                user.totp_secret if user.totp_enabled else None,
            )
        )
    audit.record("demo.loaded", details={"accounts": len(accounts)})
    db.session.commit()
    context = DemoContext(academies=academies, users=users)
    for loader in registry("demo").values():
        loader(context)
        db.session.commit()
    return accounts, context
