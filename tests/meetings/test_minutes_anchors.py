"""Chain heads anchored outside the database: a cut at the end of a chain, a rewritten chain and a forged
anchor are all reported; the minutes page prints the same signed head the anchor file holds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.meetings import anchors
from server.meetings import minutes as service
from server.meetings.models import Minutes, MinutesAmendment
from tests.meetings.test_minutes import attend, build_meeting, finalised_minutes


@pytest.fixture
def branch(tree):
    return tree["a1"]


def three_finalised(branch, make_member) -> list[Minutes]:
    records = []
    for hours, title in ((9, "一月支部党员大会"), (6, "二月支部委员会"), (3, "三月主题党日")):
        meeting = build_meeting(branch, starts_in=-timedelta(hours=hours), title=title)
        attend(meeting, make_member(branch))
        records.append(finalised_minutes(meeting, topic=title))
    return records


def messages(org) -> list[str]:
    db.session.expire_all()
    return [p["message"] for p in service.verify_chain(org).problems]


def delete_with_its_trail(minutes_id: int) -> None:
    """What someone with the database password does to make finalised minutes disappear."""
    db.session.execute(sa.text("DELETE FROM minutes WHERE id = :id"), {"id": minutes_id})
    db.session.execute(
        sa.text("DELETE FROM audit_log WHERE entity_type = 'minutes' AND entity_id = :id"), {"id": minutes_id}
    )
    db.session.commit()


def test_deleting_the_newest_minutes_with_their_audit_entries_is_reported_as_truncation(branch, make_member):
    records = three_finalised(branch, make_member)
    assert service.export_anchors() == 1
    newest = records[-1].id

    delete_with_its_trail(newest)

    found = messages(branch)
    assert len(found) == 1 and "截断" in found[0] and "第 3 条" in found[0]


def test_a_whole_chain_deleted_is_still_reported(branch, make_member):
    records = three_finalised(branch, make_member)
    service.export_anchors()
    for record in records:
        delete_with_its_trail(record.id)

    reports = service.verify_all().reports
    assert list(reports) == [branch.id] and "截断" in reports[branch.id].problems[0]["message"]


def test_a_chain_rewritten_with_recomputed_hashes_is_reported(branch, make_member):
    records = three_finalised(branch, make_member)
    service.export_anchors()
    # Rewrite the first record and recompute every hash after it, as the code does: the chain is then
    # consistent in itself, and only the anchor knows what it was.
    db.session.execute(sa.update(Minutes).where(Minutes.id == records[0].id).values(content="事后改写的内容"))
    prev = service.GENESIS
    for record in records:
        db.session.refresh(record)
        record.prev_hash = prev
        record.content_hash = prev = service._minutes_hash(record, prev)
    db.session.commit()

    found = messages(branch)
    assert len(found) == 1 and "第 3 条" in found[0] and "改写" in found[0]


def test_an_anchor_with_a_bad_signature_is_reported_and_not_trusted(branch, make_member):
    three_finalised(branch, make_member)
    service.export_anchors()
    line = anchors.anchor_file().read_text().splitlines()[-1]
    version, org_id, _, _, at, _ = line.split("\t")
    # Claims a fourth record that never existed, to make an intact chain look cut.
    forged = "\t".join([version, org_id, "4", "f" * 64, at, "0" * 32])
    with anchors.anchor_file().open("a") as file:
        file.write(forged + "\n")

    found = messages(branch)
    # Reported once, as a bad line: the chain itself is not called cut on the forger's word.
    assert len(found) == 1 and "签名无效" in found[0] and "不予采信" in found[0]


def test_anchors_signed_with_another_key_are_not_trusted(app, branch, make_member):
    three_finalised(branch, make_member)
    saved = app.config.get("MINUTES_ANCHOR_KEY")
    app.config["MINUTES_ANCHOR_KEY"] = "a key someone else chose"
    try:
        service.export_anchors()
    finally:
        app.config["MINUTES_ANCHOR_KEY"] = saved
    assert any("签名无效" in message for message in messages(branch))


def test_unreadable_lines_are_reported_for_the_whole_deployment_only(branch, make_member):
    three_finalised(branch, make_member)
    service.export_anchors()
    genuine = anchors.anchor_file().read_text().splitlines()[-1].split("\t")
    with anchors.anchor_file().open("a") as file:
        file.write("这一行被人改坏了\n")
        # The time is not signed: a line whose time is no time is not read, nor its text ever shown.
        file.write("\t".join([*genuine[:4], "<b>昨天</b>", genuine[5]]) + "\n")

    assert messages(branch) == []  # a branch cannot tell whose lines they were
    whole = service.verify_all()
    assert not whole.ok
    assert [p["message"][:9] for p in whole.anchor_file.problems] == ["锚点文件第 3 行", "锚点文件第 4 行"]
    assert service.verify_all(branch.path).ok


def test_an_anchor_of_an_organisation_that_does_not_exist_is_reported(branch, make_member):
    three_finalised(branch, make_member)
    service.export_anchors()
    genuine = anchors.anchor_file().read_text().splitlines()[-1].split("\t")
    with anchors.anchor_file().open("a") as file:
        position, digest, at = int(genuine[2]), genuine[3], genuine[4]
        signed = anchors.sign(999999, position, digest)  # a well-signed line, for an organisation never made
        file.write("\t".join([anchors.VERSION, "999999", str(position), digest, at, signed]) + "\n")

    whole = service.verify_all()

    assert [p["message"] for p in whole.anchor_file.problems] == [
        "锚点文件中有不存在的组织 #999999 的锚点，可能被人改动过"
    ]


def test_export_appends_a_head_only_when_the_chain_grew(branch, make_member):
    records = three_finalised(branch, make_member)
    assert service.export_anchors() == 1
    assert service.export_anchors() == 0
    service.amend(records[0], "笔误", "第一章应为总纲", None)
    db.session.commit()
    assert service.export_anchors() == 1
    lines = [line for line in anchors.anchor_file().read_text().splitlines() if not line.startswith("#")]
    assert [line.split("\t")[2] for line in lines] == ["3", "4"]
    assert service.verify_chain(branch).ok


def test_a_chain_of_one_record_is_anchored(branch, make_member):
    meeting = build_meeting(branch)
    attend(meeting, make_member(branch))
    finalised_minutes(meeting)
    assert service.export_anchors() == 1
    lines = [line for line in anchors.anchor_file().read_text().splitlines() if not line.startswith("#")]
    assert [line.split("\t")[2] for line in lines] == ["1"]


def test_records_left_unanchored_past_the_grace_period_are_reported(app, branch, make_member):
    three_finalised(branch, make_member)
    saved = app.config["MINUTES_ANCHOR_GRACE_HOURS"]
    app.config["MINUTES_ANCHOR_GRACE_HOURS"] = 0  # as if a day had passed without an export
    try:
        found = messages(branch)
        assert len(found) == 1 and "锚点" in found[0] and "第 1 条" in found[0]
        service.export_anchors()
        assert messages(branch) == []
    finally:
        app.config["MINUTES_ANCHOR_GRACE_HOURS"] = saved


def test_the_minutes_page_prints_the_signed_head_the_anchor_file_holds(browser, make_admin, make_member, tree, branch):
    make_admin("shuji", Role.SECRETARY, branch)
    records = three_finalised(branch, make_member)
    amendment = service.amend(records[2], "漏记一项决议", "补充：下月开展志愿服务。", None)
    db.session.commit()
    service.export_anchors()
    *_, position, content_hash, _, signature = anchors.anchor_file().read_text().splitlines()[-1].split("\t")
    assert position == "4" and content_hash == amendment.content_hash

    page = browser("shuji").get(f"/admin/meetings/{records[2].meeting_id}/minutes").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    own = records[2].content_hash
    assert f"第 3 条 · 校验值 {own} · 签名 {anchors.sign(branch.id, 3, own)}" in text
    assert f"第 4 条 · 校验值 {content_hash} · 签名 {signature}" in text


def test_the_command_exits_non_zero_on_a_truncated_chain(app, branch, make_member):
    records = three_finalised(branch, make_member)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["anchor-minutes"]).exit_code == 0
    assert runner.invoke(args=["verify-minutes"]).exit_code == 0
    delete_with_its_trail(records[-1].id)
    result = runner.invoke(args=["verify-minutes"])
    assert result.exit_code == 1 and "截断" in result.output


def test_the_command_exits_non_zero_on_a_damaged_anchor_file(app, branch, make_member):
    three_finalised(branch, make_member)
    runner = app.test_cli_runner()
    runner.invoke(args=["anchor-minutes"])
    with anchors.anchor_file().open("a") as file:
        file.write("v1\tnot-a-number\n")
    result = runner.invoke(args=["verify-minutes"])
    assert result.exit_code == 1 and "锚点文件" in result.output


def test_amendments_deleted_with_their_trail_are_reported_too(branch, make_member):
    records = three_finalised(branch, make_member)
    last = service.amend(records[1], "补充", "会后补充决议一项", None)
    db.session.commit()
    service.export_anchors()
    db.session.execute(sa.delete(MinutesAmendment).where(MinutesAmendment.id == last.id))
    db.session.execute(sa.delete(AuditLog).where(AuditLog.entity_type == "minutes_amendment"))
    db.session.commit()
    found = messages(branch)
    assert len(found) == 1 and "截断" in found[0] and "第 4 条" in found[0]
