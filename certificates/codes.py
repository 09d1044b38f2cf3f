"""Verification codes, serials and dates: pure functions, no database.

A verification code is 20 characters of Crockford's base32 (100 random bits), printed in four groups of five
(``K7M2Q-9XWPA-3HRTD-8VNC4``). Reading one back forgives case, spaces, dashes and the letters people confuse
with digits (O for 0, I and L for 1).
"""

from __future__ import annotations

import calendar
import re
import secrets
from datetime import date

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # x 5 bits = 100 bits
GROUP = 5
CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
SEPARATORS = re.compile(r"[\s\-_.]+")
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,11}$")


def new_code() -> str:
    """A fresh code in canonical form (no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The printed form: groups of five joined by dashes."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize_code(text: str | None) -> str | None:
    """The canonical form of a typed or scanned code, or None when it cannot be one."""
    if not text:
        return None
    canonical = SEPARATORS.sub("", text.strip().upper()).translate(CONFUSABLE)
    if len(canonical) != CODE_LENGTH or any(c not in ALPHABET for c in canonical):
        return None
    return canonical


def format_serial(prefix: str, year: int, number: int) -> str:
    """``JA-2026-000123``."""
    return f"{prefix}-{year}-{number:06d}"


def default_prefix(slug: str) -> str:
    """A serial prefix from an academy's slug: the initials of its parts (``judicial-academy`` -> ``JA``), or the
    first four letters of a one-word slug (``police`` -> ``POLI``)."""
    parts = [p for p in re.split(r"[^a-z0-9]+", slug.lower()) if p]
    prefix = "".join(p[0] for p in parts) if len(parts) > 1 else (parts[0][:4] if parts else "CERT")
    prefix = prefix.upper()
    return prefix if PREFIX_RE.match(prefix) else "C" + prefix[:11]


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the 31st falls back to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
