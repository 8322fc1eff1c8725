"""操作日志 as a secretary reads it: every field named and every value in words (no enum values, ids, None,
True or UTC text), filters by who, what and when, and an Excel export of what the filter finds."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from server.audit import labels
from server.audit.models import AuditLog
from server.audit.readable import enum_labels, field_label
from server.db import db, utcnow
from server.timezone import to_local

CHANGE = re.compile(r'<div class="change">(.*?)</div>', re.S)
UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _changes(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in CHANGE.findall(page)]


def _raw_enum_values() -> dict[str, set[str]]:
    """Per audited entity, every value its enum columns may hold, as stored."""
    values: dict[str, set[str]] = {}
    for mapper in db.Model.registry.mappers:
        entity = getattr(mapper.class_, "__audit_entity__", None)
        if entity is None:
            continue
        for attr in mapper.column_attrs:
            kind = attr.columns[0].type
            if isinstance(kind, sa.Enum) and kind.enum_class is not None:
                values.setdefault(entity, set()).update(member.value for member in kind.enum_class)
    return values


def test_every_audited_enum_has_words_for_each_of_its_values(app):
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__audit_entity__", None) is None:
            continue
        for attr in mapper.column_attrs:
            kind = attr.columns[0].type
            if isinstance(kind, sa.Enum) and kind.enum_class is not None:
                words = enum_labels(kind.enum_class)
                assert set(words) == {m.value for m in kind.enum_class}, (mapper.class_.__name__, attr.key)


def test_every_field_of_every_audited_object_has_a_chinese_name(app):
    unnamed = []
    for mapper in db.Model.registry.mappers:
        entity = getattr(mapper.class_, "__audit_entity__", None)
        if entity is None:
            continue
        ignored = set(getattr(mapper.class_, "__audit_ignore__", ())) | labels.NOT_SHOWN
        keys = [attr.key for attr in mapper.column_attrs] + list(getattr(mapper.class_, "__audit_collections__", ()))
        unnamed += [f"{entity}.{key}" for key in keys if key not in ignored and field_label(entity, key) == key]
    assert unnamed == []
    assert entity_of_every_model_is_listed() == []


def entity_of_every_model_is_listed() -> list[str]:
    entities = {getattr(m.class_, "__audit_entity__", None) for m in db.Model.registry.mappers}
    return sorted(entity for entity in entities - {None} if entity not in labels.ENTITIES)


def test_the_demos_trail_reads_as_words_for_every_kind_of_object(app, demo, browser):
    admin = browser("admin", demo["admin"])
    kinds = [kind for (kind,) in db.session.execute(sa.select(AuditLog.entity_type).distinct())]
    assert {"member", "meeting", "dues_payment", "wechat_binding", "organisation", "quiz"} <= set(kinds)
    raw = _raw_enum_values()
    for kind in kinds:
        assert kind in labels.ENTITIES, kind
        page = admin.get(f"/admin/audit?entity={kind}").get_data(as_text=True)
        lines = _changes(page)
        assert lines, kind
        for line in lines:
            field, _, value = line.partition("：")
            assert field and not re.fullmatch(r"[a-z_]+", field), line  # every field named in Chinese
            for side in value.split(" → "):
                assert side.strip() not in raw.get(kind, set()), line  # enum values in words
                assert side.strip() not in {"None", "True", "False"}, line
                assert not UTC_TEXT.search(side), line  # times in Beijing time
            assert not re.search(r"编号 \d+（已删除）", line), line  # ids as names (nothing in the demo is deleted)
        assert labels.ENTITIES[kind] in page


def test_a_binding_says_how_the_member_bound_not_how_they_checked_in(app, demo, browser):
    page = browser("admin", demo["admin"]).get("/admin/audit?entity=wechat_binding").get_data(as_text=True)
    lines = _changes(page)
    assert "绑定方式：微信手机号验证" in lines and not [line for line in lines if line.startswith("签到方式")]
    assert any(line.startswith("党员：") and not line.endswith(tuple("0123456789")) for line in lines)


def test_a_member_created_shows_their_organisation_by_name_and_money_in_yuan(app, demo, browser):
    page = browser("admin", demo["admin"]).get("/admin/audit?entity=member").get_data(as_text=True)
    lines = _changes(page)
    assert any(re.fullmatch(r"所在组织：\S+党支部", line) for line in lines), lines[:10]
    assert any(re.fullmatch(r"月缴费基数：¥[\d,]+\.\d\d", line) for line in lines)
    assert any(line in ("性别：男", "性别：女") for line in lines)


@pytest.mark.parametrize("who", ["shuji1", "dangwei"])
def test_the_filters_narrow_by_who_what_and_when_within_ones_scope(app, demo, browser, who):
    reader = browser(who, demo[who])
    everything = reader.get("/admin/audit").get_data(as_text=True)
    total = int(re.search(r"共 (\d+) 条", everything).group(1))
    payments = reader.get("/admin/audit?entity=dues_payment").get_data(as_text=True)
    assert 0 < int(re.search(r"共 (\d+) 条", payments).group(1)) < total
    assert "新建缴费记录" in payments and "新增党员" not in payments
    by_pay = reader.get("/admin/audit?actor=微信支付").get_data(as_text=True)
    rows = re.findall(r'<td class="nowrap">.*?</td>\s*<td>(.*?)(?:<div|</td>)', by_pay, re.S)
    assert rows == [] or {row.strip() for row in rows} == {"微信支付"}
    tomorrow = (to_local(utcnow()) + timedelta(days=1)).date().isoformat()
    later = reader.get(f"/admin/audit?since={tomorrow}").get_data(as_text=True)
    assert "共 0 条" in later and "没有符合条件的记录" in later
    assert reader.get("/admin/audit?since=not-a-day&entity=nonsense").status_code == 200  # ignored, not a 500


def test_the_export_holds_what_the_filter_finds_in_words_and_is_itself_audited(app, demo, browser):
    secretary = browser("shuji1", demo["shuji1"])
    response = secretary.get("/admin/audit/export.xlsx?entity=member")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("时间（北京时间）", "操作人", "IP 地址", "操作", "对象类别", "对象")
    page = secretary.get("/admin/audit?entity=member").get_data(as_text=True)
    assert len(rows) - 1 == int(re.search(r"共 (\d+) 条", page).group(1))
    assert {row[4] for row in rows[1:]} == {"党员"}
    created = next(row for row in rows[1:] if row[3] == "新增党员")
    assert "所在组织：综合办公室党支部" in created[7].split("\n")
    sibling = db.session.scalar(sa.select(sa.func.count()).where(AuditLog.entity_label == "沪昆高铁项目党支部"))
    assert sibling  # another branch's entries exist, and the secretary's export has none of them
    assert not [row for row in rows[1:] if row[5] == "沪昆高铁项目党支部"]
    exported = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "audit.export")).all()
    assert [(entry.actor_name, entry.after) for entry in exported] == [
        (exported[0].actor_name, {"filter": {"entity": "member"}})
    ]
