"""Route /audit: administrators read every event, registrars the events of their academies."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from lms.accounts.services import managed_academies
from lms.audit.services import PAGE_SIZE, visible_events
from lms.security import access

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@access("registrar")
def event_list():
    args = request.args
    filters = {k: args.get(k, "") for k in ("action", "actor", "since", "until")}
    filters["academy"] = args.get("academy", type=int)
    page = max(args.get("page", 1, type=int), 1)
    events, total = visible_events(current_user, filters, page)
    return render_template(
        "audit/event_list.html",
        events=events,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        academies=managed_academies(current_user),
        filters=filters,
    )
