"""``lms.pdf.render_pdf`` for a certificate-sized A4 landscape page (a title, a name, 8 lines, a QR code) beside
a bare ``xhtml2pdf.pisa.CreatePDF`` of the same HTML, in the same process. Target: ours at most 1.3x bare.

Ours embeds DejaVu Sans (registered once per process), and goes through the link callback and the resource
policy; bare draws in Helvetica, which has no Cyrillic, and embeds nothing. The two alternate, one render each,
so that load from elsewhere on the machine falls on both alike; render_pdf's once-per-process set-up (xhtml2pdf's
family names, ReportLab's binary streams) is undone around each bare render, so that bare stays bare.

Run: ``python -m bench.pdf_render`` (``make bench`` runs every benchmark). Prints a table and writes
bench/results/pdf_render.md.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator

from reportlab import rl_config
from xhtml2pdf import default as pisa_default
from xhtml2pdf import pisa

from bench.support import write_result
from lms.pdf import qr_png_data_uri, render_pdf

N = int(os.environ.get("LMS_BENCH_PDF_N", "30"))
WARM_UP = 3
LINES = [
    "has completed the course",
    "Online child protection: identifying and reporting abuse",
    "Module 1 — Recognising grooming — Препознавање на грумингот",
    "Module 2 — Documenting evidence — Dokumentimi i provave",
    "Module 3 — Working with the police — Suradnja s policijom",
    "Module 4 — Supporting the child — Подршка детету",
    "Total learning time: 24 hours; final assessment: 92 %",
    "Skopje, Tirana, Zagreb, Beograd — 14 March 2026",
]


def certificate_html() -> str:
    """A certificate page: what a real template renders, with the QR code as a local PNG data URI."""
    lines = "".join(f"<p>{line}</p>" for line in LINES)
    qr = qr_png_data_uri("https://lms.example.org/certificates/verify/7f3a9c2e")
    return f"""<html><head><style>
        @page {{ size: a4 landscape; margin: 1.5cm; }}
        h1 {{ font-size: 32pt; text-align: center; margin-bottom: 0.5cm; }}
        .name {{ font-size: 26pt; font-weight: bold; text-align: center; margin: 0.4cm 0; }}
        p {{ font-size: 13pt; text-align: center; margin: 0.1cm 0; }}
        .qr {{ text-align: center; margin-top: 0.5cm; }}
    </style></head><body>
        <h1>Certificate of completion — Сертификат</h1>
        <p class="name">Ѓорѓи Ќосе · Đorđe Čolić</p>
        {lines}
        <div class="qr"><img src="{qr}" width="110" height="110"></div>
    </body></html>"""


def bare(html: str) -> bytes:
    out = io.BytesIO()
    pisa.CreatePDF(html, dest=out)
    return out.getvalue()


@contextlib.contextmanager
def as_installed(families: dict[str, str], use_a85: int) -> Iterator[None]:
    """xhtml2pdf's family table and ReportLab's stream setting as they were before render_pdf set them."""
    ours = dict(pisa_default.DEFAULT_FONT), rl_config.useA85
    pisa_default.DEFAULT_FONT.clear()
    pisa_default.DEFAULT_FONT.update(families)
    rl_config.useA85 = use_a85
    try:
        yield
    finally:
        pisa_default.DEFAULT_FONT.clear()
        pisa_default.DEFAULT_FONT.update(ours[0])
        rl_config.useA85 = ours[1]


def timed(render: Callable[[str], bytes], html: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    data = render(html)
    return (time.perf_counter() - start) * 1000, data


def main() -> None:
    # Bare xhtml2pdf warns about every glyph Helvetica lacks; that is the point, not news.
    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
    installed = dict(pisa_default.DEFAULT_FONT), rl_config.useA85
    html = certificate_html()
    first_ms, _ = timed(render_pdf, html)
    times: dict[str, list[float]] = {"bare": [], "ours": []}
    for i in range(WARM_UP + N):  # interleaved, so that load from elsewhere falls on both alike
        with as_installed(*installed):
            bare_ms, bare_pdf = timed(bare, html)
        ours_ms, ours_pdf = timed(render_pdf, html)
        if i >= WARM_UP:
            times["bare"].append(bare_ms)
            times["ours"].append(ours_ms)
    assert b"DejaVuSans" in ours_pdf and b"DejaVuSans" not in bare_pdf, "bare is not bare"
    bare_med, ours_med = statistics.median(times["bare"]), statistics.median(times["ours"])
    table = (
        f"## PDF certificate: render_pdf vs bare xhtml2pdf (A4 landscape, N={N} each, interleaved, median)\n\n"
        "| renderer | median ms | PDF bytes |\n|---|---|---|\n"
        f"| bare `pisa.CreatePDF` (Helvetica, nothing embedded) | {bare_med:.1f} | {len(bare_pdf)} |\n"
        f"| `lms.pdf.render_pdf` (DejaVu Sans embedded, callback + policy) | {ours_med:.1f} | {len(ours_pdf)} |\n\n"
        f"First render_pdf in the process (registers the fonts): {first_ms:.1f} ms.\n\n"
        f"render_pdf at **{ours_med / bare_med:.2f}x** bare (target: at most 1.3x).\n"
    )
    print(table)
    write_result("pdf_render", table)


if __name__ == "__main__":
    main()
