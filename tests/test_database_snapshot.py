"""The suite's own isolation (tests/database.py): a test starts from empty tables or from a snapshot put
back as it was taken, whatever the test before wrote, and new rows get the ids they would have had."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.orgs.models import Organisation, OrgKind
from tests.database import Snapshot, empty_tables


def _names() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Organisation.name).order_by(Organisation.id)))


def test_emptied_tables_give_ids_from_one_again(make_org):
    for name in ("一党委", "二党委"):
        make_org(name, OrgKind.COMMITTEE)
    empty_tables()
    assert _names() == []
    assert make_org("三党委", OrgKind.COMMITTEE).id == 1


def test_a_restored_snapshot_holds_exactly_its_rows_and_ids_continue_after_them(make_org):
    committee = make_org("测试党委", OrgKind.COMMITTEE)
    general = make_org("甲党总支", OrgKind.GENERAL_BRANCH, committee)
    snapshot = Snapshot.take()

    make_org("甲一支部", OrgKind.BRANCH, general)  # written after the snapshot: gone once it is restored
    general.name = "改名党总支"
    db.session.commit()
    snapshot.restore()

    assert _names() == ["测试党委", "甲党总支"]
    restored = db.session.get(Organisation, general.id)
    assert restored.parent_id == committee.id and restored.path == general.path
    assert make_org("乙党总支", OrgKind.GENERAL_BRANCH, restored.parent).id == general.id + 1


def test_a_snapshot_is_restored_again_after_its_tables_were_emptied(make_org):
    make_org("测试党委", OrgKind.COMMITTEE)
    snapshot = Snapshot.take()
    empty_tables()
    snapshot.restore()
    snapshot.restore()
    assert _names() == ["测试党委"]
    assert make_org("二党委", OrgKind.COMMITTEE).id == 2
    empty_tables()
    assert make_org("三党委", OrgKind.COMMITTEE).id == 1  # a sequence moved on by a restore starts again too
