"""Run every benchmark: ``python -m bench`` (what ``make bench`` does)."""

from __future__ import annotations

from bench import lesson_page, pdf_render

BENCHMARKS = [lesson_page, pdf_render]


def main() -> None:
    for module in BENCHMARKS:
        module.main()


if __name__ == "__main__":
    main()
