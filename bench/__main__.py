"""Run every benchmark: ``python -m bench`` (what ``make bench`` does)."""

from __future__ import annotations

from bench import (
    certificates_bench,
    gift_import,
    learners_load,
    lesson_page,
    pdf_render,
    records_export,
    submission_storm,
)

BENCHMARKS = [lesson_page, pdf_render, certificates_bench, gift_import, submission_storm, records_export, learners_load]


def main() -> None:
    for module in BENCHMARKS:
        module.main()


if __name__ == "__main__":
    main()
