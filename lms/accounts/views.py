"""Routes of /account (the user's own) and /users (registrars and administrators)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from lms import names, twofactor
from lms.accounts import services
from lms.accounts.forms import (
    CertificateNameForm,
    ChangePasswordForm,
    ConfirmTotpForm,
    EmptyForm,
    PasswordConfirmForm,
    ProfileForm,
    RoleForm,
    StatusForm,
    UserCreateForm,
    UserImportForm,
    language_choices,
)
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import show_error
from lms.i18n import LANGUAGE_NAMES, languages
from lms.models import Academy, User, UserStatus
from lms.security import access

bp = Blueprint("accounts", __name__)

PAGE_SIZE = 50


def _languages() -> list[tuple[str, str]]:
    return language_choices({code: LANGUAGE_NAMES[code] for code in languages()})


# The user's own account ---------------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@access("login")
def profile():
    form = ProfileForm(obj=current_user)
    form.language.choices = _languages()
    spelled = names.spellings(current_user.display_name)
    form.certificate_script.choices = [
        (script, _("%(script)s: %(name)s", script=label, name=spelled[script]))
        for script, label in names.SCRIPTS.items()
    ]
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data,
            profession=form.profession.data,
            country=form.country.data,
            language=form.language.data,
            certificate_script=form.certificate_script.data,
        )
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        form=form,
        remaining_codes=twofactor.remaining_recovery_codes(current_user),
        offers_script_choice=names.offers_script_choice(current_user),
        certificate_name=names.certificate_name_for(current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@access("login")
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            login_user(current_user._get_current_object())  # this session goes on under the new session version
            flash(_("Your password has been changed. Every other session has been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access("login")
def two_factor_setup():
    """Set up TOTP: start (a new secret is kept, not yet active), then confirm with a first code."""
    user = current_user._get_current_object()
    start_form, confirm_form = EmptyForm(prefix="start"), ConfirmTotpForm(prefix="confirm")
    if user.totp_enabled:
        return redirect(url_for("accounts.two_factor_manage"))
    if start_form.validate_on_submit() and "start-csrf_token" in request.form:
        user.totp_secret = twofactor.new_secret()
        db.session.commit()
        return redirect(url_for("accounts.two_factor_setup"))
    if user.totp_secret and "confirm-code" in request.form and confirm_form.validate_on_submit():
        try:
            codes = services.enable_two_factor(user, user.totp_secret, confirm_form.code.data)
        except DomainError as exc:
            show_error(confirm_form, exc)
        else:
            login_user(user)
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = twofactor.provisioning_uri(user, user.totp_secret) if user.totp_secret else None
    return render_template(
        "accounts/two_factor_setup.html",
        start_form=start_form,
        confirm_form=confirm_form,
        secret=user.totp_secret,
        qr=twofactor.qr_svg_data_uri(uri) if uri else None,
        required=user.needs_two_factor,
    )


@bp.route("/account/two-factor/manage", methods=["GET", "POST"])
@access("login")
def two_factor_manage():
    user = current_user._get_current_object()
    if not user.totp_enabled:
        return redirect(url_for("accounts.two_factor_setup"))
    codes_form, disable_form = PasswordConfirmForm(prefix="codes"), PasswordConfirmForm(prefix="disable")
    try:
        if "codes-password" in request.form and codes_form.validate_on_submit():
            codes = services.regenerate_recovery_codes(user, codes_form.password.data)
            return render_template("accounts/recovery_codes.html", codes=codes)
        if "disable-password" in request.form and disable_form.validate_on_submit():
            services.disable_two_factor(user, disable_form.password.data)
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("accounts.profile"))
    except DomainError as exc:
        flash(exc.message, "error")
    return render_template(
        "accounts/two_factor_manage.html",
        codes_form=codes_form,
        disable_form=disable_form,
        remaining=twofactor.remaining_recovery_codes(user),
        required=user.needs_two_factor,
    )


# User management -----------------------------------------------------------------------------------------


def _managed_user_or_404(user_id: int) -> User:
    try:
        return services.get_managed_user(current_user, user_id)
    except NotFoundError:
        abort(404)


@bp.route("/users")
@access("registrar")
def user_list():
    args = request.args
    filters = {k: args.get(k, "") for k in ("q", "role", "status")}
    filters["academy"] = args.get("academy", type=int)
    page = max(args.get("page", 1, type=int), 1)
    users, total = services.search_users(current_user, filters, page, PAGE_SIZE)
    return render_template(
        "accounts/user_list.html",
        users=users,
        academies=services.managed_academies(current_user),
        filters=filters,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        counts=services.count_users_by_status(current_user),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@access("registrar")
def user_create():
    form = UserCreateForm()
    form.language.choices = _languages()
    form.academy.choices = [(a.id, a.name) for a in services.managed_academies(current_user)]
    if form.validate_on_submit():
        spec = services.NewUser(
            email=form.email.data,
            display_name=form.display_name.data,
            username=form.username.data or "",
            profession=form.profession.data,
            country=form.country.data,
            language=form.language.data or None,
            role=form.role.data,
            academy=db.session.get(Academy, form.academy.data),
        )
        try:
            user = services.create_user(current_user, spec)
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("%(name)s has been invited by e-mail.", name=user.display_name), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_create.html", form=form)


@bp.route("/users/import", methods=["GET", "POST"])
@access("registrar")
def user_import():
    form = UserImportForm()
    form.academy.choices = [(a.id, a.name) for a in services.managed_academies(current_user)]
    report = None
    if form.validate_on_submit():
        academy = db.session.get(Academy, form.academy.data)
        report = services.import_users_csv(current_user, form.file.data.read(), default_academy=academy)
        if report.ok:
            flash(_("%(n)d users were created and invited.", n=len(report.created)), "success")
            return redirect(url_for("accounts.user_list"))
        flash(_("Nothing was imported: correct the rows below and upload the file again."), "error")
    return render_template("accounts/user_import.html", form=form, report=report)


@bp.route("/users/<int:user_id>")
@access("registrar")
def user_detail(user_id: int):
    user = _managed_user_or_404(user_id)
    role_form = RoleForm()
    role_form.academy.choices = [(a.id, a.name) for a in services.managed_academies(current_user)]
    if not current_user.is_admin:
        role_form.role.choices = [c for c in role_form.role.choices if c[0] != "administrator"]
    visible = set(role_form.academy.choices and [c[0] for c in role_form.academy.choices])
    memberships = [m for m in user.memberships if current_user.is_admin or m.academy_id in visible]
    return render_template(
        "accounts/user_detail.html",
        user=user,
        memberships=memberships,
        role_form=role_form,
        action_form=EmptyForm(),
        name_form=CertificateNameForm(obj=user),
        certificate_name=names.certificate_name_for(user),
    )


@bp.route("/users/<int:user_id>/certificate-name", methods=["POST"])
@access("registrar")
def user_certificate_name(user_id: int):
    user = _managed_user_or_404(user_id)
    form = CertificateNameForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_certificate_name(current_user, user, form.certificate_name.data or "")
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The spelling on future certificates has been saved."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


def _role_change(user_id: int, grant: bool):
    user = _managed_user_or_404(user_id)
    form = RoleForm()
    form.academy.choices = [(a.id, a.name) for a in services.managed_academies(current_user)]
    if not form.validate_on_submit():
        abort(400)
    academy = db.session.get(Academy, form.academy.data) if form.academy.data else None
    try:
        change = services.grant_role if grant else services.revoke_role
        change(current_user, user, form.role.data, academy)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The roles have been updated."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@access("registrar")
def user_grant_role(user_id: int):
    return _role_change(user_id, grant=True)


@bp.route("/users/<int:user_id>/roles/revoke", methods=["POST"])
@access("registrar")
def user_revoke_role(user_id: int):
    return _role_change(user_id, grant=False)


@bp.route("/users/<int:user_id>/status", methods=["POST"])
@access("registrar")
def user_set_status(user_id: int):
    user = _managed_user_or_404(user_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_status(current_user, user, UserStatus(form.status.data))
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The account has been updated."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/invitation", methods=["POST"])
@access("registrar")
def user_resend_invitation(user_id: int):
    user = _managed_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.resend_invitation(current_user, user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The invitation has been sent again."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))
