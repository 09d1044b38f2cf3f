"""Run every benchmark: ``python -m bench`` (what ``make bench`` does)."""

from __future__ import annotations

from bench import lesson_page

BENCHMARKS = [lesson_page]


def main() -> None:
    for module in BENCHMARKS:
        module.main()


if __name__ == "__main__":
    main()
