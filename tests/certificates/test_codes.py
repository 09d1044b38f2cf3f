"""Pure helpers: verification codes, serials, dates, status and the reminder thresholds."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from certificates.codes import (
    ALPHABET,
    CODE_LENGTH,
    add_months,
    default_prefix,
    format_code,
    format_serial,
    new_code,
    normalize_code,
)
from certificates.expiry import threshold
from certificates.models import Status, certificate_status


def test_a_code_holds_at_least_80_random_bits_and_prints_in_groups():
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 80
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = codes.pop()
    printed = format_code(code)
    assert len(printed.split("-")) == 4 and all(len(g) == 5 for g in printed.split("-"))
    assert normalize_code(printed) == code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("k7m2q-9xwpa-3hrtd-8vnc4", "K7M2Q9XWPA3HRTD8VNC4"),
        (" K7M2Q 9XWPA 3HRTD 8VNC4 ", "K7M2Q9XWPA3HRTD8VNC4"),
        ("K7M2Q-9XWPA-3HRTD-8VNCO", "K7M2Q9XWPA3HRTD8VNC0"),  # O read as 0
        ("I7M2Q-9XWPA-3HRTD-8VNCL", "17M2Q9XWPA3HRTD8VNC1"),  # I and L read as 1
    ],
)
def test_typed_codes_are_forgiven(typed, expected):
    assert normalize_code(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", None, "K7M2Q", "K7M2Q-9XWPA-3HRTD-8VNC4X", "K7M2Q-9XWPA-3HRTD-8VNU4", "../../etc"]
)
def test_what_cannot_be_a_code_is_refused(typed):
    assert normalize_code(typed) is None


def test_serial_and_prefix():
    assert format_serial("JA", 2026, 123) == "JA-2026-000123"
    assert default_prefix("judicial-academy") == "JA"
    assert default_prefix("police") == "POLI"
    assert default_prefix("3rd-way") == "C3W"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 3, 14), 36, date(2029, 3, 14)),
        (date(2026, 11, 30), 2, date(2027, 1, 30)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_status_revoked_wins_and_the_last_day_is_still_valid():
    today = date(2026, 6, 1)
    assert certificate_status(None, None, today) == Status.VALID
    assert certificate_status(None, today, today) == Status.VALID
    assert certificate_status(None, date(2026, 5, 31), today) == Status.EXPIRED
    assert certificate_status(datetime(2026, 1, 1, tzinfo=UTC), None, today) == Status.REVOKED


@pytest.mark.parametrize(("days", "expected"), [(90, None), (61, None), (60, 60), (15, 60), (14, 14), (0, 14)])
def test_reminder_threshold(days, expected):
    assert threshold(days) == expected
