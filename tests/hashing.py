"""The suite hashes passwords at Argon2id's lowest cost instead of the production one (64 MiB, three passes).

A production hash costs a third of a second of both cores, and most tests create an account or log one in:
at that price hashing was half of the suite's time. It is still Argon2id through the same functions, and
verifying reads the cost from each hash, so the web and worker processes the fault tests start (at the
production cost) accept these hashes and upgrade them at login, as after a release. A test of the
production cost itself uses the ``production_password_hashing`` fixture.

A module of its own so that the production hasher is captured once, whichever way conftest is imported.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from server.auth import admin_services, passwords

PRODUCTION = (passwords._hasher, passwords.DUMMY_HASH)


def hash_cheaply() -> None:
    assert admin_services.DUMMY_HASH is passwords.DUMMY_HASH, "admin_services keeps a dummy hash of its own"
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords.DUMMY_HASH = admin_services.DUMMY_HASH = passwords.hash_password("unused-password-for-timing")


def hash_as_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher, dummy = PRODUCTION
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "DUMMY_HASH", dummy)
    monkeypatch.setattr(admin_services, "DUMMY_HASH", dummy)


hash_cheaply()
