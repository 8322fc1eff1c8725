"""Statistics per organisation: letters received, replied, overdue and the median time to reply; exported."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from server.audit.models import AuditLog
from server.db import db, utcnow
from server.mailbox.models import Letter, LetterStatus
from tests.mailbox.conftest import write


def _answered(letter_id: int, hours: float) -> None:
    received = utcnow() - timedelta(days=2)
    db.session.execute(
        sa.update(Letter)
        .where(Letter.id == letter_id)
        .values(
            status=LetterStatus.REPLIED, reply="好", received_at=received, replied_at=received + timedelta(hours=hours)
        )
    )
    db.session.commit()


def test_each_organisation_has_its_letters_replies_and_median_time_to_reply(client, tree, staff, make_writer, browser):
    a1, b1 = make_writer(tree["a1"]), make_writer(tree["b1"])
    ids = [write(client, a1).get_json()["id"] for _ in range(3)]
    _answered(ids[0], 2)
    _answered(ids[1], 10)
    write(client, b1)
    write(client, b1, addressee="committee")

    page = browser("root").get("/admin/mailbox/stats").get_data(as_text=True)
    assert "共收到来信 <strong>5</strong> 封，已回复 <strong>2</strong> 封" in page
    assert 'id="chart-mailbox"' in page and "mailbox-stats-data" in page
    table = page.split('id="stats-table"')[1]
    assert '<tr><td>甲一支部</td><td class="num">3</td><td class="num">2</td><td class="num">1</td>' in table
    assert "6.0 小时" in table  # the median of 2 and 10 hours

    shuji = browser("shuji").get("/admin/mailbox/stats").get_data(as_text=True)
    assert "甲一支部" in shuji and "乙一支部" not in shuji and "测试党委" not in shuji

    export = browser("root").get("/admin/mailbox/stats.xlsx")
    sheet = load_workbook(io.BytesIO(export.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0] == ["甲一支部", 3, 2, 1, 0, 0.667, 6]
    assert sorted(r[0] for r in rows) == sorted(["乙一支部", "甲一支部", "测试党委"])
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "letter.export")) == "letter.export"
