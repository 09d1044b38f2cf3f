"""Certificates: (1) the median time to make one certificate's PDF (look it up by its code, render its template
with the QR code and two signatures, ``lms.pdf.render_pdf``) beside a bare ``xhtml2pdf.pisa.CreatePDF`` of the
same HTML, in the same run, interleaved. Target: ours at most 1.3x bare. (2) Bulk issue of 1,000 certificates
for a cohort as a background job (the in-process thread runner; RQ when configured), its progress polled from
the job row as the page shows it. Target: under 60 s.

The database is a new PostgreSQL database when the local server answers, else a temporary SQLite file
(bench/support.py); the bulk issue also runs on SQLite when PostgreSQL was used, for comparison.

Run: ``python -m bench.certificates_bench`` (``make bench`` runs every benchmark). Prints a table and writes
bench/results/certificates.md.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal

from bench.pdf_render import as_installed, bare, timed
from bench.support import bench_database, write_result

N = int(os.environ.get("LMS_BENCH_PDF_N", "30"))
WARM_UP = 3
BULK = int(os.environ.get("LMS_BENCH_BULK", "1000"))


def _app(url: str):
    from flask_migrate import upgrade

    from lms import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "LMS_BASE_URL": "https://lms.example.org",
            "LMS_JOB_RUNNER": "thread",
        }
    )
    with app.app_context():
        upgrade()
    return app


def _signature(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 120), (255, 255, 255, 0))
    points = [(10 + 40 * i, 20 + (i * 37 + seed * 11) % 80) for i in range(10)]
    ImageDraw.Draw(image).line(points, fill=(20, 40, 120, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _world(members: int):
    """An accredited course (two signatories), a holder with a Cyrillic name, a cohort of ``members``."""
    from certificates.accreditations import AccreditationFields, add_signatory, create_accreditation
    from courses import authoring
    from lms.extensions import db
    from lms.models import Academy, Cohort, CohortMember, User

    judicial = Academy(slug="judicial-academy", name="Judicial Academy", country="RS")
    db.session.add(judicial)
    db.session.commit()
    fields = authoring.CourseFields(
        title="Višeresorni odgovor na seksualno iskorištavanje i zlostavljanje djece na internetu",
        slug="ocsea",
        language="sr_Latn",
    )
    course = authoring.create_course(None, judicial, fields)
    course.translations = {"en": {"title": "Multi-agency response to online child sexual exploitation and abuse"}}
    accreditation = create_accreditation(
        None,
        judicial,
        course,
        AccreditationFields(curriculum_code="JA-OCSEA-101", credit_hours=Decimal("10"), validity_months=36),
    )
    add_signatory(None, accreditation, "Милена Петровић", "Директорка Правосудне академије", _signature(1))
    add_signatory(None, accreditation, "Arben Krasniqi", "Head of Training", _signature(2))
    users = [User(username=f"m{i}", email=f"m{i}@example.org", display_name=f"Ђорђе Чолић {i}") for i in range(members)]
    db.session.add_all(users)
    cohort = Cohort(academy_id=judicial.id, name="Judges 2026")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in users])
    db.session.commit()
    return accreditation.id, cohort.id, users[0].id


def _series(installed, pairs) -> tuple[list[float], list[float], bytes, bytes]:
    """Interleaved renders: for each (html, render) pair, bare xhtml2pdf of the html, then ours."""
    bare_times, our_times = [], []
    for i, (html, render) in enumerate(pairs):
        with as_installed(*installed):
            bare_ms, bare_pdf = timed(bare, html)
        ours_ms, ours_pdf = timed(render, html)
        if i >= WARM_UP:
            bare_times.append(bare_ms)
            our_times.append(ours_ms)
    return bare_times, our_times, bare_pdf, ours_pdf


def pdf_figures(app) -> dict:
    """Warm: one certificate rendered again and again (what a holder re-downloading gets: its QR code is cached
    per worker). Cold: a different certificate each time (every QR code made afresh)."""
    from reportlab import rl_config
    from sqlalchemy import select
    from xhtml2pdf import default as pisa_default

    from certificates.issuing import issue_certificate
    from certificates.models import Accreditation
    from certificates.rendering import certificate_html, certificate_pdf
    from certificates.verification import find_by_code
    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        accreditation_id, _cohort_id, _user_id = _world(WARM_UP + N)
        accreditation = db.session.get(Accreditation, accreditation_id)
        codes = [
            issue_certificate(None, accreditation, user, date(2026, 3, 14)).code
            for user in db.session.scalars(select(User).order_by(User.id)).all()
        ]
        htmls = {code: certificate_html(find_by_code(code)) for code in codes}
        installed = dict(pisa_default.DEFAULT_FONT), rl_config.useA85
        from certificates import rendering

        rendering._qr.cache_clear()

        def render(code: str):
            def ours(_html: str) -> bytes:
                db.session.expire_all()  # every render reads the certificate as a request would
                return certificate_pdf(find_by_code(code))

            return ours

        first_ms, _ = timed(render(codes[0]), "")
        warm = _series(installed, [(htmls[codes[0]], render(codes[0]))] * (WARM_UP + N))
        rendering._qr.cache_clear()
        cold = _series(installed, [(htmls[code], render(code)) for code in codes])
    return {
        "warm": (statistics.median(warm[0]), statistics.median(warm[1])),
        "cold": (statistics.median(cold[0]), statistics.median(cold[1])),
        "first": first_ms,
        "bare_bytes": len(warm[2]),
        "ours_bytes": len(warm[3]),
    }


def bulk_figures(app, members: int) -> dict:
    from sqlalchemy import func, select

    from certificates.jobs import start_cohort_issue
    from certificates.models import Accreditation, Certificate
    from lms.extensions import db
    from lms.jobs.models import Job
    from lms.jobs.runners import runner_name
    from lms.models import Cohort

    with app.app_context():
        accreditation_id, cohort_id, _user = _world(members)
        runner = runner_name(app)
        start = time.perf_counter()
        job = start_cohort_issue(
            None, db.session.get(Accreditation, accreditation_id), db.session.get(Cohort, cohort_id), date(2026, 3, 14)
        )
        job_id, seen = job.id, []
        while True:
            job = db.session.get(Job, job_id)
            done, state, message = job.done, job.state, job.message
            # End the read at once, as a page refresh does: on SQLite every transaction holds the write lock.
            db.session.rollback()
            if not seen or seen[-1] != done:
                seen.append(done)
            if state in ("finished", "failed"):
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        count = db.session.scalar(select(func.count(Certificate.id)))
        numbers = db.session.scalars(select(Certificate.number).order_by(Certificate.number)).all()
    assert state == "finished", message
    assert count == members and numbers == list(range(1, members + 1)), "serials are not gap-free"
    return {"seconds": seconds, "runner": runner, "progress": seen, "dialect": app.config["SQLALCHEMY_DATABASE_URI"]}


def main() -> None:
    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
    with bench_database() as url:
        pdf = pdf_figures(_app(url))
    with bench_database() as url:
        bulk = [bulk_figures(_app(url), BULK)]
    if not bulk[0]["dialect"].startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="lms-bench-")
        try:
            bulk.append(bulk_figures(_app(f"sqlite:///{folder}/bench.sqlite3"), BULK))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    rows = "".join(
        f"| {b['dialect'].split(':', 1)[0]} | {b['runner']} | {BULK} | {b['seconds']:.1f} | "
        f"{' → '.join(str(p) for p in b['progress'][:6])}{' …' if len(b['progress']) > 6 else ''} |\n"
        for b in bulk
    )
    (warm_bare, warm_ours), (cold_bare, cold_ours) = pdf["warm"], pdf["cold"]
    table = (
        f"## Certificate PDF: the certificates plugin vs bare xhtml2pdf (A4 landscape, N={N} each, interleaved)\n\n"
        "Ours: look the certificate up by its code, render its template (bilingual labels and dates, two "
        "signatures, the QR code), `lms.pdf.render_pdf` (DejaVu Sans embedded). Bare: `pisa.CreatePDF` of the "
        "same HTML (Helvetica, nothing embedded).\n\n"
        "| series | bare median ms | ours median ms | ours / bare |\n|---|---|---|---|\n"
        f"| warm: the same certificate again (QR code cached per worker) | {warm_bare:.1f} | {warm_ours:.1f} | "
        f"**{warm_ours / warm_bare:.2f}x** |\n"
        f"| cold: a different certificate each time (QR code made afresh) | {cold_bare:.1f} | {cold_ours:.1f} | "
        f"**{cold_ours / cold_bare:.2f}x** |\n\n"
        f"PDF bytes: bare {pdf['bare_bytes']}, ours {pdf['ours_bytes']}. First certificate in the process (fonts "
        f"registered): {pdf['first']:.1f} ms. Target: at most 1.3x.\n\n"
        "## Bulk issue for a cohort (background job, progress read from the job row)\n\n"
        "| database | runner | certificates | seconds | progress seen |\n|---|---|---|---|---|\n"
        f"{rows}\nTarget: under 60 s. Serials checked gap-free (1..{BULK}).\n"
    )
    print(table)
    write_result("certificates", table)


if __name__ == "__main__":
    main()
