"""Account use cases: profile, password, two-factor set-up, and user management with academy scoping.

Registrars act only on users of their academies; administrators everywhere. Every change is audited.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from lms import audit, names, signals, twofactor
from lms.auth.forms import USERNAME_PATTERN
from lms.auth.services import end_all_sessions, send_invitation
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import ACADEMY_ROLES_WITH_ADMIN, COUNTRIES, PROFESSIONS, Academy, Membership, User, UserStatus
from lms.passwords import hash_password, password_problem, verify_password

IMPORT_COLUMNS = ("email", "name", "username", "profession", "country", "language", "role", "academy")
REQUIRED_IMPORT_COLUMNS = ("email", "name")


def _app():
    return current_app._get_current_object()


# Profile and credentials ------------------------------------------------------------------------------


def update_profile(
    user: User,
    *,
    display_name: str,
    profession: str,
    country: str,
    language: str | None,
    certificate_script: str | None = None,
) -> None:
    """Change the user's own profile (name kept exactly as written). ``certificate_script`` ("", "Latn", "Cyrl";
    None: unchanged) is the script of the user's next certificates; it is dropped when, after this change, the
    user is no longer offered the choice (see lms.names), so no hidden setting outlives the form that shows it."""
    changes = {}
    for attr, value in (
        ("display_name", display_name.strip()),
        ("profession", profession),
        ("country", country),
        ("language", language or None),
    ):
        if getattr(user, attr) != value:
            changes[attr] = [getattr(user, attr), value]
            setattr(user, attr, value)
    script = user.certificate_script if certificate_script is None else certificate_script
    if script not in names.SCRIPTS or not names.offers_script_choice(user):
        script = ""
    if user.certificate_script != script:
        changes["certificate_script"] = [user.certificate_script, script]
        user.certificate_script = script
    if changes:
        audit.record("account.profile_changed", actor=user, obj=user, details={"fields": sorted(changes)})
    db.session.commit()


def set_certificate_name(actor: User, user: User, name: str) -> None:
    """A registrar sets the official spelling of ``user``'s name on their next certificates ("" removes it), when
    the documents spell it otherwise than any transliteration. Audited with the old and the new spelling;
    certificates already issued keep theirs."""
    if not actor.can_manage(user):
        raise NotFoundError(_("No such user."))
    if user.anonymised_at is not None:
        raise DomainError(_("This account has been anonymised."))
    name = " ".join(name.split())
    if len(name) > 200:
        raise DomainError(_("The name is longer than 200 characters."), field="certificate_name")
    if name == user.certificate_name:
        return
    audit.record(
        "account.certificate_name_changed",
        actor=actor,
        obj=user,
        details={"old": user.certificate_name, "new": name},
    )
    user.certificate_name = name
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Change the password; every other session of the user ends (the caller signs this one in again)."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), field="current")
    problem = password_problem(new, email=user.email, username=user.username)
    if problem:
        raise DomainError(problem, field="password")
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    audit.record("account.password_changed", actor=user, obj=user)
    db.session.commit()


def enable_two_factor(user: User, secret: str, code: str) -> list[str]:
    """Turn on TOTP after checking a first code; returns fresh recovery codes (shown once)."""
    if not twofactor.verify_totp(user, code, secret=secret):
        raise DomainError(_("That code is not correct. Check the time on your phone and try again."), field="code")
    user.totp_secret = secret
    user.totp_enabled = True
    codes = twofactor.new_recovery_codes(user)
    end_all_sessions(user)
    audit.record("account.two_factor_enabled", actor=user, obj=user)
    db.session.commit()
    return codes


def disable_two_factor(user: User, password: str) -> None:
    """Turn TOTP off (not allowed for roles that require it)."""
    if user.needs_two_factor:
        raise DomainError(_("Your role requires two-factor sign-in; it cannot be turned off."))
    if not verify_password(user.password_hash, password):
        raise DomainError(_("The password is not correct."), field="password")
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    twofactor.new_recovery_codes(user)  # voids the old ones
    audit.record("account.two_factor_disabled", actor=user, obj=user)
    db.session.commit()


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    if not verify_password(user.password_hash, password):
        raise DomainError(_("The password is not correct."), field="password")
    codes = twofactor.new_recovery_codes(user)
    audit.record("account.recovery_codes_regenerated", actor=user, obj=user)
    db.session.commit()
    return codes


# User management --------------------------------------------------------------------------------------


def managed_academies(actor: User) -> list[Academy]:
    """Academies whose users ``actor`` may manage."""
    query = select(Academy).order_by(Academy.name)
    if not actor.is_admin:
        query = query.where(Academy.id.in_(actor.academy_ids("registrar") or {-1}))
    return list(db.session.scalars(query))


def search_users(actor: User, filters: dict, page: int, page_size: int) -> tuple[list[User], int]:
    """Users ``actor`` manages, filtered by text, academy, role and status; one page and the total."""
    academy_ids = [a.id for a in managed_academies(actor)]
    query = select(User)
    if not actor.is_admin:
        query = query.where(
            User.id.in_(select(Membership.user_id).where(Membership.academy_id.in_(academy_ids or [-1])))
        )
    if filters.get("academy") in academy_ids:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.academy_id == filters["academy"])))
    role = filters.get("role")
    if role == "administrator":
        query = query.where(User.is_admin.is_(True))
    elif role:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.role == role)))
    if filters.get("status") in {s.value for s in UserStatus}:
        query = query.where(User.status == UserStatus(filters["status"]))
    if filters.get("q"):
        term = "%" + filters["q"].strip().lower() + "%"
        query = query.where(
            or_(func.lower(User.display_name).like(term), User.email.like(term), User.username.like(term))
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    users = db.session.scalars(
        query.order_by(User.display_name, User.id).limit(page_size).offset((page - 1) * page_size)
    )
    return list(users), total


def get_managed_user(actor: User, user_id: int) -> User:
    """The user ``user_id`` if ``actor`` may manage them; otherwise NotFoundError (the view answers 404)."""
    user = db.session.get(User, user_id)
    if user is None or not actor.can_manage(user):
        raise NotFoundError(_("No such user."))
    return user


def check_new_identity(email: str, username: str = "") -> None:
    """Refuse an e-mail address or sign-in name (when given) that an account already has."""
    if db.session.scalar(select(User.id).where(User.email == email.strip().lower())):
        raise DomainError(_("An account with this e-mail address already exists."), field="email")
    if username and db.session.scalar(select(User.id).where(User.username == username.strip().lower())):
        raise DomainError(_("This sign-in name is taken."), field="username")


def _check_role_scope(actor: User, role: str, academy: Academy | None) -> None:
    if role == "administrator":
        if not actor.is_admin:
            raise DomainError(_("Only an administrator can make another administrator."), field="role")
        return
    if role not in ACADEMY_ROLES_WITH_ADMIN:
        raise DomainError(_("Unknown role '%(role)s'.", role=role), field="role")
    if academy is None:
        raise DomainError(_("Choose the academy in which the role is held."), field="academy")
    if not actor.can_manage_users_of(academy.id):
        raise DomainError(_("You cannot manage users of %(academy)s.", academy=academy.name), field="academy")


@dataclass
class NewUser:
    email: str
    display_name: str
    username: str = ""
    profession: str = "other"
    country: str = "other"
    language: str | None = None
    role: str = "learner"
    academy: Academy | None = None
    password: str | None = None


def derive_username(email: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", email.split("@")[0].lower())[:50] or "user"
    candidate, n = base, 1
    while db.session.scalar(select(User.id).where(User.username == candidate)):
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _build_user(actor: User | None, spec: NewUser) -> User:
    user = User(
        email=spec.email.strip().lower(),
        username=(spec.username or derive_username(spec.email)).strip().lower(),
        display_name=spec.display_name.strip(),
        profession=spec.profession,
        country=spec.country,
        language=spec.language or None,
        status=UserStatus.ACTIVE if spec.password else UserStatus.INVITED,
        password_hash=hash_password(spec.password) if spec.password else None,
        is_admin=spec.role == "administrator",
    )
    if spec.academy is not None and spec.role != "administrator":
        user.memberships.append(Membership(academy=spec.academy, role=spec.role))
        if spec.role != "learner":
            user.memberships.append(Membership(academy=spec.academy, role="learner"))
    db.session.add(user)
    db.session.flush()
    audit.record(
        "account.created",
        actor=actor,
        obj=user,
        academy_id=spec.academy.id if spec.academy else None,
        details={"role": spec.role, "email": user.email},
    )
    return user


def create_user(actor: User | None, spec: NewUser) -> User:
    """Create an account (``actor`` None: the command line). Without a password, an invitation is mailed."""
    if actor is not None:
        _check_role_scope(actor, spec.role, spec.academy)
    check_new_identity(spec.email, spec.username)
    if spec.password:
        problem = password_problem(spec.password, email=spec.email, username=spec.username)
        if problem:
            raise DomainError(problem, field="password")
    user = _build_user(actor, spec)
    if not spec.password:
        send_invitation(user, actor)
    db.session.commit()
    signals.user_created.send(_app(), user=user, actor=actor)
    return user


def grant_role(actor: User, user: User, role: str, academy: Academy | None) -> None:
    """Give ``user`` a role in ``academy`` (administrator: platform-wide)."""
    _check_role_scope(actor, role, academy)
    if role == "administrator":
        user.is_admin = True
    elif role in user.roles_in(academy.id):
        return
    else:
        user.memberships.append(Membership(academy=academy, role=role))
    audit.record(
        "account.role_granted",
        actor=actor,
        obj=user,
        academy_id=academy.id if academy else None,
        details={"role": role},
    )
    db.session.commit()
    signals.role_changed.send(_app(), user=user, academy=academy, role=role, granted=True, actor=actor)


def revoke_role(actor: User, user: User, role: str, academy: Academy | None) -> None:
    """Remove a role; the user's sessions end, so the lost rights take effect at once."""
    _check_role_scope(actor, role, academy)
    if role == "administrator":
        if user.id == actor.id:
            raise DomainError(_("You cannot remove your own administrator role."), field="role")
        user.is_admin = False
    else:
        membership = next((m for m in user.memberships if m.academy_id == academy.id and m.role == role), None)
        if membership is None:
            return
        user.memberships.remove(membership)
    end_all_sessions(user)
    audit.record(
        "account.role_revoked",
        actor=actor,
        obj=user,
        academy_id=academy.id if academy else None,
        details={"role": role},
    )
    db.session.commit()
    signals.role_changed.send(_app(), user=user, academy=academy, role=role, granted=False, actor=actor)


def set_status(actor: User, user: User, status: UserStatus) -> None:
    """Approve, deactivate or reactivate an account. Deactivation ends every session of the user."""
    if user.id == actor.id and status != UserStatus.ACTIVE:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.anonymised_at is not None:
        raise DomainError(_("This account has been anonymised: it stays deactivated."))
    previous = user.status
    if previous == status:
        return
    if status == UserStatus.ACTIVE and previous == UserStatus.INVITED:
        raise DomainError(_("This user has not accepted the invitation yet. Send it again instead."))
    user.status = status
    if status == UserStatus.DEACTIVATED:
        end_all_sessions(user)
    action = {
        UserStatus.DEACTIVATED: "account.deactivated",
        UserStatus.ACTIVE: "account.approved" if previous == UserStatus.PENDING else "account.reactivated",
    }.get(status, "account.status_changed")
    audit.record(action, actor=actor, obj=user, details={"from": previous.value, "to": status.value})
    db.session.commit()
    if status == UserStatus.DEACTIVATED:
        signals.user_deactivated.send(_app(), user=user, actor=actor)


def resend_invitation(actor: User, user: User) -> None:
    if user.status != UserStatus.INVITED:
        raise DomainError(_("This user has already accepted the invitation."))
    send_invitation(user, actor)
    db.session.commit()


# CSV import -----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[User] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row", "field", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors


def _row_spec(
    row: dict,
    line: int,
    actor: User | None,
    academies: dict[str, Academy],
    default_academy: Academy | None,
    seen: dict,
    report: ImportReport,
) -> NewUser | None:
    """Check one CSV row; record each problem with its line and column; return the user to create or None."""
    errors: list[tuple[str, str]] = []
    values = {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}
    email_ok = True
    try:
        values["email"] = validate_email(values["email"], check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        email_ok = False
        errors.append(("email", _("'%(value)s' is not a valid e-mail address.", value=values["email"])))
    if not values["name"]:
        errors.append(("name", _("The name is empty.")))
    if values["username"] and not re.match(USERNAME_PATTERN, values["username"].lower()):
        errors.append(("username", _("Use 2-63 lowercase letters, digits, dots, hyphens or underscores.")))
    profession = values["profession"] or "other"
    if profession not in PROFESSIONS:
        errors.append(
            (
                "profession",
                _(
                    "Unknown profession '%(value)s' (use one of: %(choices)s).",
                    value=profession,
                    choices=", ".join(PROFESSIONS),
                ),
            )
        )
    country = values["country"] or "other"
    country = "other" if country.lower() == "other" else country.upper()
    if country not in COUNTRIES:
        errors.append(
            (
                "country",
                _(
                    "Unknown country '%(value)s' (use one of: %(choices)s).",
                    value=country,
                    choices=", ".join(COUNTRIES),
                ),
            )
        )
    language = values["language"] or None
    if language and language not in current_app.config["LMS_LANGUAGES"]:
        errors.append(("language", _("Unknown language '%(value)s'.", value=language)))
    role = values["role"] or "learner"
    academy = academies.get(values["academy"].lower()) if values["academy"] else default_academy
    if values["academy"] and academy is None:
        errors.append(("academy", _("Unknown academy '%(value)s'.", value=values["academy"])))
    elif actor is not None:
        try:
            _check_role_scope(actor, role, academy)
        except DomainError as exc:
            errors.append((exc.field or "role", exc.message))
    for key in ("email", "username"):
        value = values[key].lower()
        if not value or (key == "email" and not email_ok):
            continue
        if value in seen[key]:
            errors.append((key, _("Also on row %(row)d of this file.", row=seen[key][value])))
        else:
            seen[key][value] = line
    if email_ok:
        try:
            check_new_identity(values["email"], values["username"])
        except DomainError as exc:
            errors.append((exc.field or "email", exc.message))
    report.errors.extend({"row": line, "field": f, "message": m} for f, m in errors)
    if errors:
        return None
    return NewUser(
        email=values["email"],
        display_name=values["name"],
        username=values["username"],
        profession=profession,
        country=country,
        language=language,
        role=role,
        academy=academy,
    )


def import_users_csv(
    actor: User | None, data: bytes | str, default_academy: Academy | None = None, dry_run: bool = False
) -> ImportReport:
    """Create the users of a CSV file, all or nothing; every bad row is reported with its line and column.

    Columns: email, name (required); username, profession, country, language, role, academy (slug).
    Each new user is mailed an invitation to choose a password.
    """
    report = ImportReport()
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_IMPORT_COLUMNS if c not in header]
    if missing:
        report.errors.append(
            {
                "row": 1,
                "field": ",".join(missing),
                "message": _("The header row lacks the column(s): %(cols)s.", cols=", ".join(missing)),
            }
        )
        return report
    reader.fieldnames = header
    academies = {a.slug.lower(): a for a in db.session.scalars(select(Academy))}
    seen: dict[str, dict[str, int]] = {"email": {}, "username": {}}
    specs = []
    for row in reader:
        if not any((v or "").strip() for v in row.values()):
            continue
        spec = _row_spec(row, reader.line_num, actor, academies, default_academy, seen, report)
        if spec is not None:
            specs.append(spec)
    if not specs and not report.errors:
        report.errors.append({"row": 1, "field": "", "message": _("The file holds no users.")})
    if report.errors or dry_run:
        db.session.rollback()
        return report
    try:
        for spec in specs:
            user = _build_user(actor, spec)
            send_invitation(user, actor)
            report.created.append(user)
        audit.record("account.imported", actor=actor, details={"count": len(specs)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for user in report.created:
        signals.user_created.send(_app(), user=user, actor=actor)
    return report


def count_users_by_status(actor: User) -> dict[str, int]:
    query = select(User.status, func.count(User.id)).group_by(User.status)
    if not actor.is_admin:
        ids = actor.academy_ids("registrar") or {-1}
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.academy_id.in_(ids))))
    return {status.value: count for status, count in db.session.execute(query)}
