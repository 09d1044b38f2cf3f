"""Password hashing with Argon2id.

Parameters come from settings (``LMS_ARGON2_*``; defaults: 64 MiB, 3 passes, 2 lanes). A per-process semaphore
lets at most ``LMS_ARGON2_CONCURRENCY`` hashes run at once, so a burst of sign-ins queues instead of
allocating 64 MiB per request: peak memory is bounded by concurrency x memory cost.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

_lock = threading.Lock()
_state: dict[tuple, tuple[PasswordHasher, threading.BoundedSemaphore]] = {}

MIN_PASSWORD_LENGTH = 10


def _hasher() -> tuple[PasswordHasher, threading.BoundedSemaphore]:
    cfg = current_app.config
    key = (
        cfg["LMS_ARGON2_TIME_COST"],
        cfg["LMS_ARGON2_MEMORY_KIB"],
        cfg["LMS_ARGON2_PARALLELISM"],
        cfg["LMS_ARGON2_CONCURRENCY"],
    )
    with _lock:
        if key not in _state:
            hasher = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
            _state[key] = (hasher, threading.BoundedSemaphore(key[3]))
        return _state[key]


def hash_password(password: str) -> str:
    """Return an Argon2id hash of ``password`` in PHC string format."""
    hasher, gate = _hasher()
    with gate:
        return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``stored_hash``.

    With no stored hash (unknown account, invited user) a dummy hash is still verified, so the answer takes
    the same time whether or not the account exists.
    """
    hasher, gate = _hasher()
    candidate = stored_hash or _dummy_hash()
    with gate:
        try:
            ok = hasher.verify(candidate, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    return ok and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    hasher, _ = _hasher()
    return hasher.check_needs_rehash(stored_hash)


def _dummy_hash() -> str:
    key = "lms.dummy_password_hash"
    if key not in current_app.extensions:
        hasher, gate = _hasher()
        with gate:
            current_app.extensions[key] = hasher.hash("not a real password")
    return current_app.extensions[key]


def password_problem(password: str, *, email: str = "", username: str = "") -> str | None:
    """A translated message saying why ``password`` is not acceptable, or None."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    for personal in (email.split("@")[0].lower(), username.lower()):
        if personal and len(personal) >= 3 and personal in lowered:
            return _("Do not use your name or e-mail address in your password.")
    if len(set(password)) < 4:
        return _("Use a less repetitive password.")
    return None
