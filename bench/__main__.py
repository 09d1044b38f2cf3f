"""Run every benchmark: ``python -m bench`` (what ``make bench`` does)."""

from __future__ import annotations

from bench import gift_import, lesson_page, pdf_render, submission_storm

BENCHMARKS = [lesson_page, pdf_render, gift_import, submission_storm]


def main() -> None:
    for module in BENCHMARKS:
        module.main()


if __name__ == "__main__":
    main()
