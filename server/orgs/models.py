"""Organisations, stored as a materialized path.

Why a materialized path: nearly every request asks "is this inside my subtree?" or "everything below
this node", which becomes one indexed prefix scan (``path LIKE '/1/7/%'``) with no recursion. Moving
a subtree rewrites the paths of that subtree only, a rare, bounded update (at most the 8,000 rows of
the largest committee). A closure table would make moves heavier and reads no faster.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, path_string, utcnow


class OrgKind(enum.StrEnum):
    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    GROUP = "group"

    @property
    def label(self) -> str:
        return ORG_KIND_LABELS[self]


ORG_KIND_LABELS = {
    OrgKind.COMMITTEE: "党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.GROUP: "党小组",
}

#: which kinds may sit directly under which; a committee may be the root or under another committee
ALLOWED_PARENTS: dict[OrgKind, set[OrgKind | None]] = {
    OrgKind.COMMITTEE: {None, OrgKind.COMMITTEE},
    OrgKind.GENERAL_BRANCH: {OrgKind.COMMITTEE},
    OrgKind.BRANCH: {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH},
    OrgKind.GROUP: {OrgKind.BRANCH},
}


#: digits of one level's position in ``Organisation.tree_key``; a million siblings is far beyond any committee
POSITION_DIGITS = 6
MAX_POSITION = 10**POSITION_DIGITS - 1


def tree_key_of(parent_key: str, position: int) -> str:
    """The ``tree_key`` of a node at ``position`` under a parent whose key is ``parent_key``.

    Fixed-width digits make text order agree with number order at every level, and a parent's key is
    a prefix of its children's, so it sorts just before them.
    """
    return f"{parent_key}{position:0{POSITION_DIGITS}d}"


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """An enum stored as its value in a string column guarded by a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        # Sibling names are unique among live organisations, so a secretary can pick by name.
        sa.Index(
            "uq_organisations_parent_name",
            "parent_id",
            "name",
            unique=True,
            sqlite_where=sa.text("dissolved_at IS NULL"),
            postgresql_where=sa.text("dissolved_at IS NULL"),
        ),
        sa.CheckConstraint("depth >= 0", name="depth_not_negative"),
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )
    __audited__ = True
    __audit_entity__ = "organisation"
    __audit_ignore__ = ("path", "depth", "tree_key")

    #: surrogate key; also the path segment of this node
    id: Mapped[int] = mapped_column(primary_key=True)
    #: full name, e.g. "第三项目部党支部"
    name: Mapped[str] = mapped_column(sa.String(100))
    #: level in the tree
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"))
    #: parent organisation; null only for a root committee
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: ids from the root down to this node, "/1/7/42/"; null only between insert and first flush
    path: Mapped[str | None] = mapped_column(path_string(255), unique=True)
    #: number of ancestors (root is 0)
    depth: Mapped[int] = mapped_column(default=0)
    #: position among its siblings, creation order unless a secretary moves it up or down
    sort_order: Mapped[int] = mapped_column(default=0)
    #: the positions from the root down to this node, each as POSITION_DIGITS digits: ordering by it
    #: lists the tree depth-first, siblings in their order (see ``orgs.services.tree_order``)
    tree_key: Mapped[str] = mapped_column(path_string(255), index=True, server_default="")
    #: when it was created (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it was dissolved; dissolved organisations keep their row so history stays readable
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"

    @property
    def kind_label(self) -> str:
        return ORG_KIND_LABELS[self.kind]

    def contains(self, other: Organisation) -> bool:
        """Whether ``other`` is this organisation or below it."""
        return bool(self.path and other.path and other.path.startswith(self.path))

    def audit_label(self) -> str:
        return self.name

    def audit_org_id(self) -> int | None:
        return self.id
