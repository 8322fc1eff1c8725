"""Minutes that cannot be rewritten: a per-organisation hash chain, amendments, and verification."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from server.db import db, utcnow
from server.errors import AppError
from server.meetings import minutes as service
from server.meetings.models import (
    Attendance,
    AttendanceStatus,
    CheckinMethod,
    Meeting,
    MeetingKind,
    Minutes,
    MinutesAmendment,
    MinutesPhoto,
)
from tests.conftest import USING_POSTGRES
from tests.hostile_files import jpeg_declaring, png_declaring


def image_bytes(image_format: str, size: tuple[int, int] = (4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=image_format)
    return buffer.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


def build_meeting(org, *, starts_in: timedelta = -timedelta(hours=3), title: str = "十一月主题党日") -> Meeting:
    starts = utcnow() + starts_in
    meeting = Meeting(
        kind=MeetingKind.THEME_DAY,
        title=title,
        organiser_org_id=org.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        checkin_opens_at=starts - timedelta(minutes=30),
        checkin_closes_at=starts + timedelta(hours=2),
        code_secret="x",
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def attend(meeting, member, status=AttendanceStatus.PRESENT) -> Attendance:
    row = Attendance(
        meeting_id=meeting.id,
        member_id=member.id,
        status=status,
        method=CheckinMethod.MEETING_CODE,
        checked_in_at=meeting.starts_at if status != AttendanceStatus.LEAVE else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def finalised_minutes(meeting, topic="学习党章", content="全体党员学习党章第一章") -> Minutes:
    minutes = service.get_or_create_minutes(meeting)
    service.save_draft(minutes, topic, content, "无")
    service.finalise(minutes)
    db.session.commit()
    return minutes


def problems(org) -> list[dict]:
    db.session.expire_all()
    return service.verify_chain(org).problems


@pytest.fixture
def branch(tree):
    return tree["a1"]


@pytest.fixture
def held(branch, make_member):
    meeting = build_meeting(branch)
    attend(meeting, make_member(branch, "张三"))
    attend(meeting, make_member(branch, "李四"), AttendanceStatus.LEAVE)
    return meeting


def test_draft_finalise_amend_and_verify(branch, held, make_admin):
    minutes = service.get_or_create_minutes(held)
    assert minutes.org_id == branch.id
    service.save_draft(minutes, " 学习党章 ", "全体党员学习党章第一章", "无")
    service.add_photo(minutes, "现场.png", PNG)
    service.finalise(minutes)
    db.session.commit()
    assert minutes.prev_hash == "0" * 64 and len(minutes.content_hash) == 64 and minutes.topic == "学习党章"

    with pytest.raises(AppError) as refused:
        service.save_draft(minutes, "改写", "改写的内容", "")
    assert refused.value.code == "minutes_finalised"
    with pytest.raises(AppError) as refused:
        service.add_photo(minutes, "补拍.png", PNG)
    assert refused.value.code == "minutes_finalised"
    with pytest.raises(AppError) as refused:
        service.finalise(minutes)
    assert refused.value.code == "minutes_finalised"

    admin = make_admin("sec_a1", org=branch)
    first = service.amend(minutes, "笔误", "第一章应为总纲", admin.id)
    second = service.amend(minutes, "补充", "会后补充决议一项", admin.id)
    db.session.commit()
    assert first.prev_hash == minutes.content_hash and second.prev_hash == first.content_hash

    report = service.verify_chain(branch)
    assert report.ok and report.checked == 3 and report.problems == []


def test_amendment_needs_finalised_minutes_and_a_reason(held):
    minutes = service.get_or_create_minutes(held)
    service.save_draft(minutes, "学习党章", "内容", "")
    with pytest.raises(AppError) as refused:
        service.amend(minutes, "原因", "更正", None)
    assert refused.value.code == "minutes_not_finalised"
    service.finalise(minutes)
    for reason, content, code, message in [
        ("  ", "更正", "reason_required", "请填写更正原因"),
        ("长" * 201, "更正", "reason_too_long", "更正原因不能超过 200 个字"),
        ("笔误", " ", "content_required", "请填写更正内容"),
        ("笔误", None, "content_required", "请填写更正内容"),  # a form posted without the field
    ]:
        with pytest.raises(AppError) as refused:
            service.amend(minutes, reason, content, None)
        assert (refused.value.code, refused.value.message) == (code, message)


def test_minutes_without_topic_or_content_are_not_finalised(held):
    minutes = service.get_or_create_minutes(held)
    service.save_draft(minutes, "学习党章", "  ", "")

    with pytest.raises(AppError) as refused:
        service.finalise(minutes)

    assert (refused.value.code, refused.value.message) == ("minutes_incomplete", "请先填写会议主题和内容再定稿")
    assert minutes.finalised_at is None


def test_a_record_finalised_on_a_machine_whose_clock_is_behind_still_follows_the_chain(branch, make_member):
    """Two app servers whose clocks disagree: the chain's time order must still match its links."""
    first, second = (build_meeting(branch, title=title) for title in ("一月支部党员大会", "二月支部委员会"))
    attend(first, make_member(branch))
    attend(second, make_member(branch))
    earlier = finalised_minutes(first)
    ahead = utcnow() + timedelta(minutes=5)  # the first server's clock ran five minutes fast
    db.session.execute(sa.update(Minutes).where(Minutes.id == earlier.id).values(finalised_at=ahead))
    db.session.commit()

    later = finalised_minutes(second)

    assert later.finalised_at > ahead


def test_a_draft_leaves_the_meeting_editable_and_finalising_freezes_it(held):
    from server.meetings.services import is_editable

    minutes = service.get_or_create_minutes(held)
    service.save_draft(minutes, "学习党章", "内容", "")
    assert not service.attendance_locked(held.id) and is_editable(held)
    service.finalise(minutes)
    assert service.attendance_locked(held.id) and not is_editable(held)


def test_minutes_of_a_meeting_not_yet_held_are_refused(branch):
    future = build_meeting(branch, starts_in=timedelta(days=2))
    with pytest.raises(AppError) as refused:
        service.get_or_create_minutes(future)
    assert refused.value.code == "meeting_not_held" and "尚未开始" in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Minutes)) == 0


def test_finalising_waits_for_checkin_to_close(branch):
    meeting = build_meeting(branch, starts_in=-timedelta(minutes=30))  # under way, check-in still open
    minutes = service.get_or_create_minutes(meeting)
    service.save_draft(minutes, "学习党章", "内容", "")
    with pytest.raises(AppError) as refused:
        service.finalise(minutes)
    assert refused.value.code == "checkin_still_open"


def test_direct_update_of_content_is_detected(branch, held):
    minutes = finalised_minutes(held)
    db.session.execute(sa.text("UPDATE minutes SET content = '突击改写的内容' WHERE id = :id"), {"id": minutes.id})
    db.session.commit()
    assert problems(branch) == [
        {"kind": "minutes", "id": minutes.id, "message": f"会议记录 #{minutes.id} 的内容、照片或签到情况与定稿时不一致"}
    ]


def test_direct_backdating_of_the_meeting_is_detected(branch, held):
    minutes = finalised_minutes(held)
    earlier = held.starts_at - timedelta(days=30)
    db.session.execute(sa.update(Meeting).where(Meeting.id == held.id).values(starts_at=earlier))
    db.session.commit()
    assert [p["id"] for p in problems(branch)] == [minutes.id]


def test_attendance_changed_after_finalising_is_detected(branch, held, make_member):
    minutes = finalised_minutes(held)
    db.session.execute(
        sa.text("UPDATE attendances SET status = 'present' WHERE meeting_id = :id AND status = 'leave'"),
        {"id": held.id},
    )
    db.session.commit()
    assert [p["id"] for p in problems(branch)] == [minutes.id]

    db.session.execute(sa.text("UPDATE attendances SET status = 'leave' WHERE meeting_id = :id"), {"id": held.id})
    db.session.commit()
    attend(held, make_member(branch, "王五"))  # a member added to the list afterwards
    assert [p["id"] for p in problems(branch)] != []


def test_replaced_photo_is_detected(branch, held):
    minutes = service.get_or_create_minutes(held)
    service.save_draft(minutes, "学习党章", "内容", "")
    photo = service.add_photo(minutes, "a.jpg", JPEG)
    service.finalise(minutes)
    db.session.commit()
    db.session.execute(sa.update(MinutesPhoto).where(MinutesPhoto.id == photo.id).values(data=JPEG + b"x"))
    db.session.commit()
    assert problems(branch) == [{"kind": "photo", "id": photo.id, "message": f"照片 #{photo.id} 的文件内容已被替换"}]


def test_deleted_amendment_is_detected(branch, held):
    minutes = finalised_minutes(held)
    first = service.amend(minutes, "笔误", "更正一", None)
    last = service.amend(minutes, "补充", "更正二", None)
    db.session.commit()
    first_id, last_id = first.id, last.id
    assert service.verify_chain(branch).ok

    db.session.execute(sa.text("DELETE FROM minutes_amendments WHERE id = :id"), {"id": first_id})
    db.session.commit()
    found = problems(branch)
    assert any(p["kind"] == "amendment" and p["id"] == last_id and "链接断裂" in p["message"] for p in found)
    assert any(p["kind"] == "amendment" and p["id"] == first_id and "已被删除" in p["message"] for p in found)


def test_deleting_the_newest_amendment_is_detected_from_the_audit_trail(branch, held):
    minutes = finalised_minutes(held)
    last_id = service.amend(minutes, "补充", "更正", None).id
    db.session.commit()
    db.session.execute(sa.delete(MinutesAmendment).where(MinutesAmendment.id == last_id))
    db.session.commit()
    assert [(p["kind"], p["id"]) for p in problems(branch)] == [("amendment", last_id)]


def test_unfinalising_minutes_directly_is_detected(branch, held):
    minutes = finalised_minutes(held)
    db.session.execute(
        sa.text("UPDATE minutes SET finalised_at = NULL, content_hash = NULL, prev_hash = NULL WHERE id = :id"),
        {"id": minutes.id},
    )
    db.session.commit()
    assert [p["id"] for p in problems(branch)] == [minutes.id]


def broken_link(amendment_id: int) -> str:
    return f"更正记录 #{amendment_id} 与前一条记录的链接断裂（记录被删除、插入或改过时间）"


def test_clearing_only_the_finalising_time_is_detected(branch, held):
    minutes = finalised_minutes(held)
    amendment = service.amend(minutes, "笔误", "更正", None)
    db.session.commit()
    m, a = minutes.id, amendment.id
    db.session.execute(sa.text("UPDATE minutes SET finalised_at = NULL WHERE id = :id"), {"id": m})
    db.session.commit()
    assert problems(branch) == [
        {"kind": "minutes", "id": m, "message": f"会议记录 #{m} 的定稿信息不完整（定稿时间或哈希被改动）"},
        {"kind": "amendment", "id": a, "message": f"更正记录 #{a} 所属的会议记录不是定稿状态"},
        {"kind": "amendment", "id": a, "message": broken_link(a)},
        {"kind": "minutes", "id": m, "message": f"会议记录 #{m} 已定稿入链，但现已被删除或撤销定稿"},
    ]


def test_clearing_only_the_hash_is_detected(branch, held):
    minutes = finalised_minutes(held)
    amendment = service.amend(minutes, "笔误", "更正", None)
    db.session.commit()
    m, a = minutes.id, amendment.id
    db.session.execute(sa.text("UPDATE minutes SET content_hash = NULL WHERE id = :id"), {"id": m})
    db.session.commit()
    assert problems(branch) == [
        {"kind": "minutes", "id": m, "message": f"会议记录 #{m} 的定稿信息不完整（定稿时间或哈希被改动）"},
        {"kind": "amendment", "id": a, "message": broken_link(a)},
    ]


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        pytest.param("伪装.png", "这其实是一段文字".encode(), "photo_type", id="text"),
        pytest.param("空壳.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo_type", id="png-signature-only"),
        pytest.param("a.gif", image_bytes("GIF"), "photo_type", id="gif"),
        pytest.param("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024), "photo_too_large", id="over-5-mb"),
        # 99 bytes that promise 900 million pixels: 2.7 GB to decode, and Pillow's own guard raises
        pytest.param("bomb.png", png_declaring(30_000, 30_000), "photo_too_many_pixels", id="30000x30000"),
        # 56 million: past our limit, below twice it, where Pillow only warns
        pytest.param("huge.png", png_declaring(8_000, 7_000), "photo_too_many_pixels", id="8000x7000"),
        pytest.param("bomb.jpg", jpeg_declaring(60_000, 60_000), "photo_too_many_pixels", id="jpeg-60000x60000"),
    ],
)
def test_photo_type_size_and_pixels_are_checked(held, filename, data, code):
    minutes = service.get_or_create_minutes(held)
    with pytest.raises(AppError) as refused:
        service.add_photo(minutes, filename, data)
    assert refused.value.code == code
    assert refused.value.message and not refused.value.message.isascii()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MinutesPhoto)) == 0


def test_a_photo_has_the_type_its_bytes_show_whatever_its_name(held):
    minutes = service.get_or_create_minutes(held)
    assert service.add_photo(minutes, "其实是PNG.jpg", PNG).content_type == "image/png"
    assert service.add_photo(minutes, "现场", JPEG).content_type == "image/jpeg"


def test_at_most_nine_photos(held):
    minutes = service.get_or_create_minutes(held)
    for n in range(service.MAX_PHOTOS):
        service.add_photo(minutes, f"C:\\相册\\{n}.png", PNG)
    with pytest.raises(AppError) as refused:
        service.add_photo(minutes, "10.png", PNG)
    assert refused.value.code == "too_many_photos"
    assert db.session.scalar(sa.select(MinutesPhoto.filename).order_by(MinutesPhoto.id).limit(1)) == "0.png"


def test_two_branches_have_independent_chains(tree, held):
    other = build_meeting(tree["b1"], title="乙一支部党员大会")
    mine = finalised_minutes(held)
    theirs = finalised_minutes(other)
    assert theirs.prev_hash == "0" * 64
    mine_amendment = service.amend(mine, "笔误", "更正", None)
    db.session.commit()
    assert mine_amendment.prev_hash == mine.content_hash

    db.session.execute(sa.update(Minutes).where(Minutes.id == theirs.id).values(decisions="改写的决议"))
    db.session.commit()
    db.session.expire_all()
    reports = service.verify_all().reports
    assert reports[tree["a1"].id].ok and reports[tree["a1"].id].checked == 2
    assert not reports[tree["b1"].id].ok and reports[tree["b1"].id].problems[0]["id"] == theirs.id


def test_chain_links_follow_finalising_order(branch):
    meetings = [build_meeting(branch, starts_in=-timedelta(hours=h), title=f"会议{h}") for h in (5, 4, 3)]
    records = [finalised_minutes(meeting) for meeting in reversed(meetings)]
    assert [r.prev_hash for r in records[1:]] == [r.content_hash for r in records[:-1]]
    assert service.verify_chain(branch).checked == 3


def test_cli_exits_1_on_a_tampered_chain(app, branch, held):
    from server.meetings.cli import register

    if "verify-minutes" not in app.cli.commands:
        register(app)
    minutes = finalised_minutes(held)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["verify-minutes"])
    assert ok.exit_code == 0, ok.output
    assert "甲一支部" in ok.output and "正常" in ok.output

    db.session.execute(sa.text("UPDATE minutes SET content = '改写' WHERE id = :id"), {"id": minutes.id})
    db.session.commit()
    broken = runner.invoke(args=["verify-minutes"])
    assert broken.exit_code == 1, broken.output
    assert "不一致" in broken.output and "校验未通过" in broken.output


@pytest.mark.skipif(not USING_POSTGRES, reason="row locks are a PostgreSQL matter; SQLite has a single writer")
def test_concurrent_finalisations_queue_on_the_organisation_lock(app, branch):
    drafts = []
    for title in ("会议甲", "会议乙"):
        minutes = service.get_or_create_minutes(build_meeting(branch, title=title))
        service.save_draft(minutes, title, "内容", "")
        drafts.append(minutes.id)
    db.session.commit()
    locked, release, second_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def finalise(minutes_id: int, hold: bool) -> None:
        try:
            with app.app_context():
                service.finalise(db.session.get(Minutes, minutes_id))
                if hold:
                    locked.set()
                    release.wait(10)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            locked.set()

    first = threading.Thread(target=finalise, args=(drafts[0], True))
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=lambda: (finalise(drafts[1], False), second_done.set()))
    second.start()
    assert not second_done.wait(0.5)  # waits for the first transaction's lock
    release.set()
    first.join(10)
    second.join(10)
    assert not errors
    db.session.expire_all()
    a, b = (db.session.get(Minutes, i) for i in drafts)
    assert a.prev_hash == "0" * 64 and b.prev_hash == a.content_hash
    assert service.verify_chain(branch).ok


def test_concurrent_amendments_chain_one_after_the_other(app, branch, held):
    """Two corrections to the same organisation's chain at once (two secretaries, or a double tap): the
    second waits for the first and links to it, on PostgreSQL and on the embedded SQLite alike."""
    minutes_id = finalised_minutes(held).id
    locked, release, second_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def amend(reason: str, hold: bool) -> None:
        try:
            with app.app_context():
                service.amend(db.session.get(Minutes, minutes_id), reason, "更正", None)
                if hold:
                    locked.set()
                    release.wait(10)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            locked.set()

    first = threading.Thread(target=amend, args=("第一处笔误", True))
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=lambda: (amend("第二处笔误", False), second_done.set()))
    second.start()
    assert not second_done.wait(0.5)  # waits for the first correction's transaction
    release.set()
    first.join(10)
    second.join(10)
    assert not errors
    db.session.expire_all()
    a, b = db.session.scalars(sa.select(MinutesAmendment).order_by(MinutesAmendment.id)).all()
    assert (a.reason, b.prev_hash) == ("第一处笔误", a.content_hash)
    assert service.verify_chain(branch).ok
