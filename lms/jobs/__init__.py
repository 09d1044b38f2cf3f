"""Background jobs of any kind, with their progress in an ``lms_job`` row (models.py).

The API other code uses::

    from lms import jobs
    jobs.register("records.xapi_push", push, max_attempts=5, app=app)   # in init_app
    job = jobs.enqueue("records.xapi_push", actor=user, academy_id=a.id, params={...}, key="xapi:42")

    def push(ctx):                      # must be idempotent: it may run again after a crash
        ctx.progress(10, total=100, message="...")   # commits
        return {"sent": 100}            # the job's result (JSON), or None

Runners are in runners.py (``LMS_JOB_RUNNER``), the use cases in services.py, the status pages ``/jobs/`` in
views.py, and ``lms worker`` / ``lms jobs ...`` in cli.py.
"""

from __future__ import annotations

from flask import Flask

from lms.jobs.models import Job, JobState
from lms.jobs.services import JobContext, enqueue, register

__all__ = ["Job", "JobContext", "JobState", "enqueue", "init_app", "register"]


def init_app(app: Flask) -> None:
    """Register the status pages, the core's job kind, and the jobs' place in the privacy registries."""
    from flask_babel import lazy_gettext as _l

    from lms.jobs import services
    from lms.jobs.views import bp
    from lms.nav import NavItem, add_nav_item
    from lms.registry import registry

    app.register_blueprint(bp)
    register("privacy.purge", services.purge_retained_data, max_attempts=3, label=_l("Data retention purge"), app=app)
    registry("personal_data", app).register("jobs", services.jobs_of)
    registry("data_retention", app).register("jobs", services.purge_jobs)
    # Everyone reaches their own jobs from the page that started them; the list of all jobs is an
    # administrator's tool, next to the audit log.
    add_nav_item(app, NavItem("jobs", _l("Jobs"), "jobs.job_list", "admin", 91))
