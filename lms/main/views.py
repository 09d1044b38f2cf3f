"""Routes: / (the home page a plugin may provide, e.g. the catalog), /dashboard, /language, /healthz."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.extensions import db
from lms.forms import EmptyForm
from lms.i18n import languages
from lms.registry import registry
from lms.security import access, safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
@access("public")
def index():
    home = registry("home").get("endpoint")
    if home:
        return current_app.view_functions[home]()
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.route("/dashboard")
@access("login")
def dashboard():
    """One page per user: each panel a plugin (or the core) registered, shown when the user has its role."""
    panels = [p for p in registry("dashboard").values() if p.visible_to(current_user)]
    return render_template("main/dashboard.html", panels=sorted(panels, key=lambda p: p.order))


@bp.route("/language", methods=["POST"])
@access("public")
def set_language():
    form = EmptyForm()
    code = request.form.get("language", "")
    if form.validate_on_submit() and code in languages():
        session["lang"] = code
        if current_user.is_authenticated and current_user.language != code:
            current_user.language = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), fallback="main.index"))


@bp.route("/healthz")
@access("public")
def healthz():
    checks = {"database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # the check reports any failure as data
        checks["database"] = f"error: {type(exc).__name__}"
        db.session.rollback()  # so the rest of the request (loading a signed-in caller) may try again
    if current_app.config.get("LMS_REDIS_URL"):
        try:
            import redis

            redis.Redis.from_url(current_app.config["LMS_REDIS_URL"], socket_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # the check reports any failure as data
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if healthy else "error", "checks": checks}), 200 if healthy else 503
