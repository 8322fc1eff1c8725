"""Dues jobs: each month's bills, closing expired orders, the daily reconciliation, arrears reminders.

What the jobs change is audited in the name of 系统任务 (``payment_status.DUES_JOBS``).

The job first brings the register's ``dues_base_fen`` up to the base history for the month (a base set
"from January" shows in the register once January comes). It runs twice a day (Beijing 00:07 and
06:07) and makes the current month's bills for every member who owes them: the first run of a month
makes them, the others find them there and make nothing (``bills.generate_bills`` is one INSERT … ON
CONFLICT DO NOTHING), so a lost run, a retry or two workers at once change nothing twice.
"""

from __future__ import annotations

import logging

from huey import crontab

from server.audit.context import acting_as
from server.db import db
from server.dues.bases import sync_register
from server.dues.bills import generate_bills
from server.dues.months import current_month
from server.dues.payment_status import DUES_JOBS
from server.tasks import periodic_job

log = logging.getLogger(__name__)


def make_current_bills() -> int:
    month = current_month()
    with acting_as(DUES_JOBS):
        sync_register(month)
        made = generate_bills(month)
        db.session.commit()
    log.info("dues bills for %s: %d made", month, made)
    return made


@periodic_job(crontab(minute="7", hour="16,22"), retries=3, retry_delay=60)  # UTC: 00:07 and 06:07 in Beijing
def monthly_bills() -> int:
    return make_current_bills()


@periodic_job(crontab(minute="13", hour="2"), retries=4, retry_delay=120)  # UTC: 10:13 in Beijing
def arrears_reminders() -> dict[str, int]:
    """Daily, so a lost run is made up the next day; each member is reminded at most once a month."""
    from server.dues.reminders import send_reminders

    return send_reminders()


def close_expired_orders() -> int:
    """Orders unpaid past their expiry are closed (WeChat asked first: a payment may have landed)."""
    from server.dues.payments import close_expired

    with acting_as(DUES_JOBS):
        looked_at = close_expired()
        db.session.commit()
    return looked_at


@periodic_job(crontab(minute="*/5"), retries=1, retry_delay=60)
def expired_orders() -> int:
    return close_expired_orders()


def reconcile_yesterday() -> int:
    """Yesterday's (Beijing) trade bill against our books; WeChat publishes it after 10:00 Beijing."""
    from datetime import timedelta

    from server.dues.reconcile import reconcile
    from server.timezone import local_today

    with acting_as(DUES_JOBS):
        report = reconcile(local_today() - timedelta(days=1))
        db.session.commit()
    if report.differences:
        log.warning("dues reconciliation %s: %d differences", report.bill_date, len(report.differences))
    return len(report.differences)


@periodic_job(crontab(minute="17", hour="2"), retries=3, retry_delay=600)  # UTC: 10:17 in Beijing
def daily_reconciliation() -> int:
    return reconcile_yesterday()
