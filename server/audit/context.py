"""Who is acting right now: set by the auth layer per request, and by jobs for the user who queued them.

A context variable rather than an argument, so that every write is attributed without threading
an actor through each service signature; domain code never reads the request itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # "admin", "admin_phone" (an admin account acting from its member's phone), "member" or "system"
    id: int | None  # the admin account's id for "admin" and "admin_phone", the member's for "member"
    name: str
    ip: str | None = None


SYSTEM = Actor("system", None, "系统")
#: An admin account acting from the mini-program, through the member record it is linked to.
PHONE_ADMIN = "admin_phone"
PHONE_SUFFIX = "（小程序）"

_current: ContextVar[Actor] = ContextVar("current_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor) -> None:
    _current.set(actor)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)
