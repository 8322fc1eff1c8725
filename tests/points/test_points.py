"""Learning points: daily caps per source, nothing credited twice (also when two awards run at once), the
leaderboards (equal to a rebuild from the ledger), what a member reads in 我的积分, and the newspaper's
reading points."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa

from server.db import db, utcnow
from server.orgs.models import OrgKind
from server.points import leaderboard, reading
from server.points.api import board_org
from server.points.leaderboard import DatabaseBoard, Period, RedisBoard
from server.points.models import PointsEntry, PointsSource
from server.points.services import award
from tests.conftest import USING_POSTGRES, USING_REDIS

BEIJING = ZoneInfo("Asia/Shanghai")


def total(member_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == member_id)
    )


def test_points_are_capped_per_source_and_beijing_day(tree, make_member):
    member = make_member(tree["a1"])
    morning = datetime(2027, 3, 1, 9, tzinfo=BEIJING)
    assert [award(member.id, PointsSource.PRACTICE, f"practice:{n}", 2, morning) for n in range(4)] == [2, 2, 1, 0]
    # other sources have their own caps; exams none
    assert award(member.id, PointsSource.READING, "article:1", 1, morning) == 1
    assert award(member.id, PointsSource.EXAM, "exam:1", 50, morning) == 50
    # 23:59 is still the same Beijing day, 00:01 the next (16:01 UTC)
    assert award(member.id, PointsSource.PRACTICE, "practice:9", 3, morning.replace(hour=23, minute=59)) == 0
    assert (
        award(member.id, PointsSource.PRACTICE, "practice:10", 3, datetime(2027, 3, 1, 16, 1, tzinfo=ZoneInfo("UTC")))
        == 3
    )
    db.session.commit()
    assert total(member.id) == 5 + 1 + 50 + 3


def test_the_same_thing_is_never_credited_twice(tree, make_member):
    member = make_member(tree["a1"])
    assert award(member.id, PointsSource.EXAM, "exam:7", 10) == 10
    assert award(member.id, PointsSource.EXAM, "exam:7", 10) == 0
    assert award(member.id, PointsSource.READING, "article:3", 1) == 1
    assert award(member.id, PointsSource.READING, "article:3", 1) == 0
    db.session.commit()
    assert total(member.id) == 11


def _concurrently(app, count: int, work) -> list:
    """``count`` threads, each with its own session and connection, released together."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                results[index] = work(index)
                db.session.commit()
            except Exception as exc:  # reported below
                results[index] = exc
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_awards_at_once_never_pass_the_cap_nor_credit_one_thing_twice(app, tree, make_member):
    member_id = make_member(tree["a1"]).id
    db.session.commit()
    # eight practice rounds finishing together, 2 points each against a cap of 5
    results = _concurrently(app, 8, lambda i: award(member_id, PointsSource.PRACTICE, f"practice:{i}", 2))
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 5 and total(member_id) == 5
    # the same article read to the end on two phones at once
    results = _concurrently(app, 6, lambda i: award(member_id, PointsSource.READING, "article:9", 1))
    assert sorted(results) == [0, 0, 0, 0, 0, 1] and total(member_id) == 6


@pytest.mark.skipif(not USING_POSTGRES, reason="row locks under concurrent transactions: PostgreSQL")
def test_concurrent_awards_wait_for_the_member_lock_on_postgresql(app, tree, make_member):
    """Without the lock both would read a sum of 0 and insert; with it the second reads the first's row."""
    member_id = make_member(tree["a1"]).id
    db.session.commit()
    first_inside, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def slow() -> None:
        with app.app_context():
            outcome["slow"] = award(member_id, PointsSource.CONTEST, "contest:1", 6)
            first_inside.set()
            release.wait(10)
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=slow)
    thread.start()
    assert first_inside.wait(10)
    threading.Timer(0.5, release.set).start()
    with app.app_context():
        outcome["fast"] = award(member_id, PointsSource.CONTEST, "contest:2", 6)  # waits for the lock
        db.session.commit()
    thread.join(10)
    assert (outcome["slow"], outcome["fast"]) == (6, 0) and total(member_id) == 6


@pytest.fixture
def scored(tree, make_member):
    """Points spread over both general branches, with ties, this month and before."""
    people = {
        "zhang": make_member(tree["a1"], "张三"),
        "li": make_member(tree["a1"], "李四"),
        "wang": make_member(tree["a2"], "王五"),
        "zhao": make_member(tree["b1"], "赵六"),
        "qian": make_member(tree["b1"], "钱七"),
    }
    last_month = utcnow().astimezone(BEIJING).replace(day=1) - timedelta(days=3)
    for name, points, old in (("zhang", 30, 10), ("li", 20, 0), ("wang", 20, 40), ("zhao", 50, 0), ("qian", 0, 5)):
        member = people[name]
        if points:
            award(member.id, PointsSource.EXAM, "exam:now", points)
        if old:
            award(member.id, PointsSource.EXAM, "exam:old", old, last_month)
    db.session.commit()
    return people


def _board(org, period):
    """(rank, name, points), equal ranks by name: Redis and the database order ties differently."""
    return sorted((s.rank, s.name, s.points) for s in leaderboard.top(org, period, limit=100))


def _from_ledger(org, period):
    return sorted((s.rank, s.name, s.points) for s in leaderboard._standings(DatabaseBoard().top(org, period, 100)))


def test_leaderboards_rank_per_subtree_and_period(tree, scored):
    assert _board(tree["committee"], Period.ALL) == [
        (1, "王五", 60),
        (2, "赵六", 50),
        (3, "张三", 40),
        (4, "李四", 20),
        (5, "钱七", 5),
    ]
    assert _board(tree["committee"], Period.MONTH) == [
        (1, "赵六", 50),
        (2, "张三", 30),
        (3, "李四", 20),
        (3, "王五", 20),
    ]
    assert _board(tree["general_a"], Period.MONTH) == [(1, "张三", 30), (2, "李四", 20), (2, "王五", 20)]
    assert _board(tree["a1"], Period.ALL) == [(1, "张三", 40), (2, "李四", 20)]
    assert leaderboard.standing(scored["wang"].id, tree["general_a"], Period.MONTH) == (2, 20)
    assert leaderboard.standing(scored["qian"].id, tree["b1"], Period.MONTH) == (None, 0)
    assert leaderboard.standing(scored["qian"].id, tree["a1"], Period.ALL) == (None, 0)  # not on that board


def test_the_leaderboards_equal_a_rebuild_from_the_ledger(tree, scored):
    boards = [(org, period) for org in tree.values() for period in Period]
    live = {(org.id, period): _board(org, period) for org, period in boards}
    assert live == {(org.id, period): _from_ledger(org, period) for org, period in boards}
    leaderboard.rebuild()
    assert {(org.id, period): _board(org, period) for org, period in boards} == live


@pytest.mark.skipif(not USING_REDIS, reason="the Redis sorted sets exist only with REDIS_URL")
def test_a_rebuild_puts_right_what_the_increments_missed(tree, scored, make_member):
    """A member moved to another branch, and an award whose increment was lost (Redis was down)."""
    from server.points.leaderboard import board

    scored["zhang"].org_id = tree["b1"].id
    db.session.add(
        PointsEntry(
            member_id=scored["li"].id,
            source=PointsSource.EXAM,
            ref="exam:lost",
            points=7,
            earned_on=utcnow().astimezone(BEIJING).date(),
        )
    )
    db.session.commit()
    assert _board(tree["a1"], Period.ALL) == [(1, "张三", 40), (2, "李四", 20)]  # stale
    board().client.set(f"{board().prefix}:999:all", "left over")  # an organisation that no longer has points
    assert leaderboard.rebuild() > 0
    assert _board(tree["a1"], Period.ALL) == [(1, "李四", 27)]
    assert _board(tree["b1"], Period.ALL) == [(1, "赵六", 50), (2, "张三", 40), (3, "钱七", 5)]
    assert not board().client.exists(f"{board().prefix}:999:all")
    assert _board(tree["committee"], Period.ALL) == _from_ledger(tree["committee"], Period.ALL)


@pytest.mark.skipif(not USING_REDIS, reason="the Redis sorted sets exist only with REDIS_URL")
def test_increments_follow_the_commit_and_not_a_rollback(tree, make_member):
    member = make_member(tree["a1"], "孙八")
    award(member.id, PointsSource.EXAM, "exam:rolled-back", 9)
    db.session.rollback()
    assert _board(tree["a1"], Period.ALL) == []
    award(member.id, PointsSource.EXAM, "exam:kept", 4)
    assert _board(tree["a1"], Period.ALL) == []  # not before the commit
    db.session.commit()
    assert _board(tree["a1"], Period.ALL) == [(1, "孙八", 4)]


def test_my_points_and_the_leaderboard_through_the_api(tree, scored, member_phone):
    award(scored["zhang"].id, PointsSource.PRACTICE, "practice:1", 3, note="每日练习")
    db.session.commit()
    phone = member_phone(scored["zhang"])
    mine = phone.get("/api/me/points").get_json()
    assert (mine["total"], mine["today"]) == (43, 33)
    assert mine["by_source"] == {"practice": 3, "exam": 40, "contest": 0, "reading": 0}
    assert mine["today_by_source"]["practice"] == 3 and mine["daily_caps"]["practice"] == 5
    assert mine["daily_caps"]["exam"] is None
    assert mine["recent"][0] | {"created_at": None} == {
        "source": "practice",
        "label": "每日练习",
        "note": "每日练习",
        "points": 3,
        "earned_on": utcnow().astimezone(BEIJING).date().isoformat(),
        "created_at": None,
    }
    branch = phone.get("/api/leaderboard?scope=branch&period=all").get_json()
    assert branch["org_name"] == "甲一支部" and branch["me"] == {"rank": 1, "points": 43}
    assert [(item["name"], item["is_me"]) for item in branch["items"]] == [("张三", True), ("李四", False)]
    committee = phone.get("/api/leaderboard?scope=committee&period=month").get_json()
    assert committee["org_name"] == "测试党委" and committee["me"] == {"rank": 2, "points": 33}
    assert committee["items"][:2] == [
        {"rank": 1, "name": "赵六", "org_name": "乙一支部", "points": 50, "is_me": False},
        {"rank": 2, "name": "张三", "org_name": "甲一支部", "points": 33, "is_me": True},
    ]
    response = phone.get("/api/leaderboard?scope=everyone")
    assert response.status_code == 422 and "scope" in response.get_json()["error"]["fields"]


def test_reading_an_article_to_the_end_earns_points_once(app, tree, make_member):
    member = make_member(tree["a1"])
    assert [reading.on_article_read(None, member_id=member.id, article_id=n, at=None) for n in (1, 1, 2)] == [1, 0, 1]
    for n in range(3, 12):
        reading.on_article_read(None, member_id=member.id, article_id=n, at=None)
    db.session.commit()
    assert total(member.id) == 6  # 学习强国's cap: 6 a day


@pytest.mark.skipif(
    not reading.newspaper_installed(),
    reason="server.newspaper.signals is not on this branch yet: the receiver is connected once the newspaper lands",
)
def test_the_newspaper_signal_reaches_the_points_receiver(app, tree, make_member):
    from server.newspaper.signals import article_read

    assert app.extensions["points_reading_connected"] is True
    member = make_member(tree["a1"])
    article_read.send(app, member_id=member.id, article_id=40, at=utcnow())
    db.session.commit()
    assert db.session.scalar(sa.select(PointsEntry.ref).where(PointsEntry.member_id == member.id)) == "article:40"


class _DownRedis:
    """A Redis that refuses every command, counting them."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str):
        def refuse(*args, **kwargs):
            self.calls += 1
            raise redis.ConnectionError("Connection refused")

        return refuse


def test_while_redis_is_down_boards_come_from_the_ledger_and_awards_go_on(app, tree, scored, monkeypatch):
    """Members are not refused and do not wait on Redis: after one failure it is left alone for a while."""
    down = _DownRedis()
    monkeypatch.setitem(app.extensions, "points_board", RedisBoard(down, "down:points"))
    assert _board(tree["committee"], Period.ALL) == _from_ledger(tree["committee"], Period.ALL)
    assert leaderboard.standing(scored["wang"].id, tree["general_a"], Period.ALL) == (1, 60)
    assert award(scored["li"].id, PointsSource.EXAM, "exam:during-outage", 3) == 3
    db.session.commit()  # the increment fails after the commit: logged, the points are in the ledger
    assert total(scored["li"].id) == 23
    assert _board(tree["a1"], Period.ALL) == [(1, "张三", 40), (2, "李四", 23)]
    assert down.calls == 1  # only the first read went to Redis


def test_the_phones_share_a_board_for_a_few_seconds_and_each_sees_their_own_rank_live(
    app, tree, scored, member_phone, monkeypatch
):
    now = [1000.0]
    monkeypatch.setitem(app.config, "LEADERBOARD_SHARED_S", 5)
    monkeypatch.setitem(app.extensions, "points_shared", leaderboard.Shared(clock=lambda: now[0]))
    zhang, zhao = member_phone(scored["zhang"]), member_phone(scored["zhao"])

    def committee(phone):
        board = phone.get("/api/leaderboard?scope=committee&period=all").get_json()
        return [(item["name"], item["points"], item["is_me"]) for item in board["items"][:2]], board["me"]

    assert committee(zhang) == ([("王五", 60, False), ("赵六", 50, False)], {"rank": 3, "points": 40})
    award(scored["zhang"].id, PointsSource.EXAM, "exam:99", 30)
    db.session.commit()
    now[0] += 4  # within the 5 seconds: the best of the board as read, my own standing as it is now
    assert committee(zhang) == ([("王五", 60, False), ("赵六", 50, False)], {"rank": 1, "points": 70})
    assert committee(zhao) == ([("王五", 60, False), ("赵六", 50, True)], {"rank": 3, "points": 50})
    month = zhang.get("/api/leaderboard?scope=committee&period=month").get_json()  # another board: read now
    assert [(item["name"], item["points"]) for item in month["items"][:2]] == [("张三", 60), ("赵六", 50)]
    now[0] += 2  # read again
    assert committee(zhang) == ([("张三", 70, True), ("王五", 60, False)], {"rank": 1, "points": 70})
    branch = zhang.get("/api/leaderboard?scope=branch&period=all").get_json()
    assert branch["org_name"] == "甲一支部"  # another board: not the committee's kept one
    assert [item["name"] for item in branch["items"]] == ["张三", "李四"]


def test_the_shared_boards_drop_those_least_recently_read_first(app, monkeypatch):
    monkeypatch.setitem(app.config, "LEADERBOARD_SHARED_S", 5)
    shared = leaderboard.Shared(clock=lambda: 0.0)
    monkeypatch.setattr(shared, "MAX_ENTRIES", 8)
    reads: list[int] = []

    def get(n: int) -> int:
        return shared.get(("top", n), lambda: reads.append(n) or n)

    for n in range(8):
        get(n)
    get(0)  # kept: not read again
    shared._entries[("top", 0)] = (0.0, 0)  # its time is up: read again, and kept last
    get(0)
    get(8)  # full: the quarter least recently kept (1 and 2) go
    assert [key[1] for key in shared._entries] == [3, 4, 5, 6, 7, 0, 8]
    get(0)
    get(1)
    assert reads == [0, 1, 2, 3, 4, 5, 6, 7, 0, 8, 1]


def test_a_branch_with_no_committee_above_it_ranks_on_its_own_board(app, tree):
    assert board_org(tree["a1"].id, "committee").name == "测试党委"
    tree["committee"].kind = OrgKind.GENERAL_BRANCH  # a tree with no 党委 at its top
    db.session.flush()
    assert board_org(tree["a1"].id, "committee") == board_org(tree["a1"].id, "branch")
    assert board_org(tree["a1"].id, "branch").name == "甲一支部"
