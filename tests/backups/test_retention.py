"""Which backups the nightly run keeps: the newest of each recent day and of each recent week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.backups.retention import name_for, to_keep


def test_keeps_the_newest_of_each_of_the_last_days_and_weeks():
    start = datetime(2026, 9, 1, 2, 30, tzinfo=UTC)  # nightly from 1 September to Friday 30 October
    nightly = [name_for(start + timedelta(days=n)) for n in range(60)]
    extra_same_day = name_for(start + timedelta(days=59, hours=10))  # taken by hand before an upgrade
    kept = to_keep([*nightly, extra_same_day, "notes.txt"], keep_daily=7, keep_weekly=4)
    days = {name[8:16] for name in kept if name.startswith("edangwu-")}
    assert extra_same_day in kept and nightly[-1] not in kept  # the newest of that day wins
    assert "notes.txt" in kept  # not a backup: never touched
    last_seven = {f"202610{day}" for day in range(24, 31)}
    sundays = {"20261011", "20261018"}  # the newest of the two weeks before; the last two weeks are in the 7 days
    assert days == last_seven | sundays


def test_the_newest_backup_is_kept_whatever_the_settings():
    names = [name_for(datetime(2026, 12, 1, tzinfo=UTC)), name_for(datetime(2026, 12, 2, tzinfo=UTC))]
    assert to_keep(names, keep_daily=0, keep_weekly=0) == {names[1]}
