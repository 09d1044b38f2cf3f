"""Routes /jobs/ (the jobs the signed-in user started; administrators see all) and /jobs/<id> (one job)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from lms.jobs import services
from lms.security import access

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/")
@access("login")
def job_list():
    page = max(request.args.get("page", 1, type=int), 1)
    jobs, total = services.visible_jobs(current_user, page)
    pages = max((total + services.PAGE_SIZE - 1) // services.PAGE_SIZE, 1)
    return render_template(
        "jobs/job_list.html", jobs=jobs, total=total, page=page, pages=pages, kind_label=services.kind_label
    )


@bp.route("/<int:job_id>")
@access("login")
def job_detail(job_id: int):
    job = services.job_for(current_user, job_id)
    if job is None:
        abort(404)
    return render_template("jobs/job_detail.html", job=job, kind_label=services.kind_label)
