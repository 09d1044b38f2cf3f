"""Argon2id with documented parameters; a burst of hashing is bounded in concurrency (and so in memory)."""

from __future__ import annotations

import threading
import time

from lms import passwords


def test_production_parameters_are_argon2id(make_app):
    app = make_app(LMS_ARGON2_MEMORY_KIB=65536, LMS_ARGON2_TIME_COST=3, LMS_ARGON2_PARALLELISM=2)
    with app.app_context():
        hashed = passwords.hash_password("Correct-horse-battery-9")
        assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
        assert passwords.verify_password(hashed, "Correct-horse-battery-9")
        assert not passwords.verify_password(hashed, "correct-horse-battery-9")
        assert not passwords.verify_password(None, "anything")


def test_default_settings_are_the_documented_ones(app):
    assert app.config["LMS_ARGON2_MEMORY_KIB"] == 1024  # the tests' cheap setting ...
    from lms.config import DEFAULTS

    assert (DEFAULTS["LMS_ARGON2_MEMORY_KIB"], DEFAULTS["LMS_ARGON2_TIME_COST"]) == (
        65536,
        3,
    )  # ... production's
    assert DEFAULTS["LMS_ARGON2_CONCURRENCY"] >= 1


def test_a_burst_of_sign_ins_hashes_at_most_n_at_once(make_app, monkeypatch):
    app = make_app(LMS_ARGON2_CONCURRENCY=2, LMS_ARGON2_MEMORY_KIB=1032)
    running, peak, lock = [0], [0], threading.Lock()

    with app.app_context():
        hasher, gate = passwords._hasher()

        class Counting:
            def hash(self, password):
                return hasher.hash(password)

            def verify(self, hash_, password):
                with lock:
                    running[0] += 1
                    peak[0] = max(peak[0], running[0])
                time.sleep(0.02)
                with lock:
                    running[0] -= 1
                return hasher.verify(hash_, password)

        key = next(k for k, v in passwords._state.items() if v[0] is hasher)
        monkeypatch.setitem(passwords._state, key, (Counting(), gate))
        stored = passwords.hash_password("Correct-horse-battery-9")

        def attempt():
            with app.app_context():
                passwords.verify_password(stored, "wrong-password")

        threads = [threading.Thread(target=attempt) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert peak[0] == 2


def test_weak_passwords_are_refused(app):
    with app.test_request_context():
        assert passwords.password_problem("short") is not None
        assert passwords.password_problem("aaaaaaaaaaaa") is not None
        assert passwords.password_problem("ivana.simic-2026", email="ivana.simic@example.org") is not None
        assert passwords.password_problem("Correct-horse-battery-9") is None
