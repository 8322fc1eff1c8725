"""An anonymous letter's author never appears in any page, export, API answer or audit entry a reader can reach.

The author is a member with a name, phone and WeChat openid found nowhere else; the letter goes its whole
way (written, taken on, flagged overdue, answered, counted) and then every page, export and answer its
readers (the branch secretary, the general branch, the committee, the superadmin) can open is rendered and
searched for them.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.db import db, utcnow
from server.mailbox.models import Letter
from server.mailbox.tasks import flag_overdue_letters
from server.tasks import run_pending_jobs
from tests.mailbox.conftest import write

NAME, PHONE = "隐名者甲", "13912345678"


def _text(response) -> str:
    """A page's or an export's text (an xlsx is unzipped and its XML read)."""
    body = response.get_data()
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return body.decode("utf-8", "replace")


def _traces(member_id: int, openid: str) -> list[re.Pattern]:
    return [
        re.compile(re.escape(NAME)),
        re.compile(re.escape(PHONE)),
        re.compile(re.escape(PHONE[-4:]) + r"\b"),  # the masked phone's tail
        re.compile(re.escape(openid)),
        re.compile(rf"/members/{member_id}\b"),
        re.compile(rf"member(_id)?\W{{0,4}}#?\s*{member_id}\b"),
    ]


def test_nothing_a_reader_can_reach_names_the_author_of_an_anonymous_letter(
    app, client, tree, staff, make_writer, browser, monkeypatch
):
    author = make_writer(tree["a1"], name=NAME, phone=PHONE)
    other = make_writer(tree["a1"])
    db.session.execute(sa.delete(AuditLog))  # the register's own entries name every member; the letter's must not
    db.session.commit()

    letter_id = write(client, author, anonymous=True, subject="反映问题").get_json()["id"]
    client.post("/api/board", json={"body": "署名留言"}, headers=other.headers)
    db.session.execute(sa.update(Letter).values(received_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    flag_overdue_letters()
    shuji = browser("shuji")
    shuji.post(f"/admin/mailbox/letters/{letter_id}/take")
    before_reply = shuji.get(f"/admin/mailbox/letters/{letter_id}")
    shuji.post(f"/admin/mailbox/letters/{letter_id}/reply", {"reply": "感谢反映"})
    run_pending_jobs()

    pages = {"shuji:in_hand": before_reply}
    readers = ("shuji", "zongzhi", "dangwei", "root")
    paths = [
        "/admin/mailbox/",
        "/admin/mailbox/?overdue=1",
        "/admin/mailbox/?status=replied",
        f"/admin/mailbox/letters/{letter_id}",
        "/admin/mailbox/board",
        "/admin/mailbox/stats?days=0",
        "/admin/mailbox/stats.xlsx?days=0",
        "/admin/audit",
        "/admin/",
    ]
    for username in readers:
        reader = browser(username)
        for path in paths:
            pages[f"{username}:{path}"] = reader.get(path)
    for path in ("/api/board", "/api/letters", "/api/inbox", "/api/mailbox"):
        pages[f"other member:{path}"] = client.get(path, headers=other.headers)

    assert all(response.status_code == 200 for response in pages.values()), {
        key: r.status_code for key, r in pages.items() if r.status_code != 200
    }
    assert "匿名" in _text(pages[f"shuji:/admin/mailbox/letters/{letter_id}"])
    assert "感谢反映" in _text(pages[f"shuji:/admin/mailbox/letters/{letter_id}"])
    found = [
        (key, pattern.pattern)
        for key, response in pages.items()
        for pattern in _traces(author.member.id, author.openid)
        if pattern.search(_text(response))
    ]
    assert found == []

    # The trail itself: no entry is by the author or names them, whatever page shows it.
    entries = db.session.execute(sa.select(AuditLog).order_by(AuditLog.id)).scalars().all()
    assert {e.action for e in entries} >= {"letter.create", "letter.take", "letter.overdue", "letter.reply"}
    written = next(e for e in entries if e.action == "letter.create")
    assert (written.actor_kind, written.actor_id, written.actor_name, written.ip) == (
        "member",
        None,
        "匿名来信人",
        None,
    )
    for entry in entries:
        assert not (entry.actor_kind == "member" and entry.actor_id == author.member.id), entry.action
        assert NAME not in f"{entry.actor_name}{entry.entity_label}{entry.before}{entry.after}"
        for values in (entry.before or {}, entry.after or {}):
            assert author.member.id not in [v for k, v in values.items() if "member" in k], entry.action


def test_a_signed_letter_shows_its_author_to_its_readers(client, tree, staff, make_writer, browser):
    author = make_writer(tree["a1"], name="署名者乙")
    letter_id = write(client, author, anonymous=False).get_json()["id"]
    page = browser("shuji").get(f"/admin/mailbox/letters/{letter_id}").get_data(as_text=True)
    assert "署名者乙" in page
