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
    kind: str  # "admin", "member" or "system"
    id: int | None
    name: str
    ip: str | None = None


SYSTEM = Actor("system", None, "系统")

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
