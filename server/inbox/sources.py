"""What the inbox needs to know of each kind of thing it holds, registered by the feature that delivers it.

The inbox and the push engine are generic: they hold ``(kind, ref_id)`` and never import a feature. A
feature (the newspaper today, notices later) registers one :class:`Source` per kind, saying which of
its items members may still see (a withdrawn issue is hidden by this filter, its inbox rows untouched),
how an item is listed, and what its subscribe message says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.inbox.models import InboxKind


@dataclass(frozen=True)
class Entry:
    """How one item is listed in the inbox."""

    title: str
    subtitle: str
    cover_url: str | None


@dataclass(frozen=True)
class PushMessage:
    """What the subscribe message about one item says: the deployment's template, its values, the page it opens."""

    template: dict[str, Any]
    values: dict[str, Any]
    page: str


@dataclass(frozen=True)
class Source:
    kind: InboxKind
    #: a condition on a ``ref_id`` column: the items members may see now (published, not withdrawn)
    visible: Callable[[sa.ColumnElement[int]], sa.ColumnElement[bool]]
    #: how the items with these ids are listed; ids it does not return are not listed
    describe: Callable[[list[int]], dict[int, Entry]]
    #: the message announcing an item, or None when it must not be announced any more (withdrawn)
    message: Callable[[int], PushMessage | None]
    #: whether pushes for the item may go out now or wait for the end of the quiet hours
    urgent: Callable[[int], bool] = lambda ref_id: False


_SOURCES: dict[InboxKind, Source] = {}


def register(source: Source) -> Source:
    _SOURCES[source.kind] = source
    return source


def source_for(kind: InboxKind) -> Source:
    return _SOURCES[InboxKind(kind)]


def registered() -> list[Source]:
    return list(_SOURCES.values())


def visible_condition(kind_column: sa.ColumnElement, ref_column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """Rows whose ``(kind, ref_id)`` members may see now, over every registered kind."""
    return sa.or_(*(sa.and_(kind_column == s.kind, s.visible(ref_column)) for s in registered()), sa.false())
