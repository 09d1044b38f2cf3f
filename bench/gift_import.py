"""Import of a 10,000-question GIFT file: parse plus the dry-run check (every question converted and validated by
its question type, nothing written), as ``lms quizzes import-gift FILE --dry-run`` does. Target: under 2 s.

Run: ``python -m bench.gift_import``. Prints a table and writes bench/results/gift_import.md.
"""

from __future__ import annotations

import statistics
import time

from bench.support import write_result

COUNT = 10_000


def sample_gift(count: int = COUNT) -> str:
    """A GIFT file of ``count`` questions of every type GIFT has, with categories, names and feedback."""
    templates = [
        "::mc{n}::Which step comes first at a scene ({n})? {{=Secure and document#Yes. ~Browse the phone#No. "
        "~Switch it off at once#Not always. ####Document before you touch.}}",
        "::mr{n}::Which are volatile ({n})? {{~%50%RAM#Yes. ~%50%Network connections#Yes. ~%-100%A printed page#No.}}",
        "::tf{n}::Hash values change when one bit changes ({n}).{{T#Wrong: they do.#Right.}}",
        "::sa{n}::Name the treaty on cybercrime ({n}).{{=Budapest Convention =Budapest#Yes. =%50%ETS 185#Partly.}}",
        "::nu{n}::How many hours are in a day ({n})?{{#=24:0#Right. =%50%23..25#Close.}}",
        "::ma{n}::Match the conventions ({n}).{{=Budapest -> cybercrime =Lanzarote -> sexual abuse "
        "=Istanbul -> violence against women}}",
        "::es{n}::Describe the chain of custody ({n}).{{}}",
    ]
    parts = []
    for n in range(count):
        if n % 500 == 0:
            parts.append(f"$CATEGORY: Bench/Part {n // 500}")
        parts.append(templates[n % len(templates)].format(n=n))
    return "\n\n".join(parts) + "\n"


def dry_run(text: str) -> tuple[int, int]:
    """Parse and check as the command does; returns (questions, errors)."""
    from quizzes import bank
    from quizzes.formats.gift import parse_gift

    result = parse_gift(text)
    errors = len(result.errors)
    for question in result.questions:
        try:
            bank._check(bank.fields_from_exchange(question))
        except (bank.ConfigError, bank.DomainError):
            errors += 1
    return len(result.questions), errors


def main() -> None:
    from lms import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "TESTING": True})
    text = sample_gift()
    with app.app_context():
        from quizzes.formats.gift import parse_gift

        parse_times, total_times = [], []
        for _ in range(3):
            start = time.perf_counter()
            parse_gift(text)
            parse_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            questions, errors = dry_run(text)
            total_times.append(time.perf_counter() - start)
    parse, total = statistics.median(parse_times), statistics.median(total_times)
    table = (
        "| GIFT file | questions | errors | parse (median of 3) | parse + dry-run check (median of 3) | target |\n"
        "|---|---|---|---|---|---|\n"
        f"| {len(text) / 1024 / 1024:.1f} MB | {questions} | {errors} | {parse:.2f} s | {total:.2f} s | < 2 s |\n"
    )
    print("\nGIFT import, dry run\n" + table)
    write_result("gift_import", "# GIFT import (dry run)\n\n" + table)


if __name__ == "__main__":
    main()
