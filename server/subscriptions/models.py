"""What we believe of each member's one-time consent to a subscribe-message template.

WeChat keeps the real quota: each "accept" in ``wx.requestSubscribeMessage`` lets us send that WeChat user
one message with that template. We count the same taps, as the mini-program reports them, to show the
member what they have agreed to and to notice when WeChat says the consent is gone (43101).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow
from server.orgs.models import enum_column


class Choice(enum.StrEnum):
    """What ``wx.requestSubscribeMessage``'s success callback says of each template."""

    ACCEPT = "accept"  # one more message may be sent
    REJECT = "reject"  # the member said no (or "always no" earlier, and WeChat answered for them)
    BAN = "ban"  # WeChat has banned the template
    FILTER = "filter"  # WeChat filtered the template out (a title like another in the same request)


class Subscription(db.Model):
    """One member's consent to one template, as far as we know it."""

    __tablename__ = "member_subscriptions"
    __table_args__ = (sa.CheckConstraint("remaining >= 0", name="remaining_not_negative"),)

    #: the member
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    #: the WeChat template (not the purpose: WeChat counts per template, and a deployment may change one)
    template_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    #: the WeChat user who consented: a member who binds another WeChat starts from nothing again
    openid: Mapped[str] = mapped_column(sa.String(64))
    #: messages we believe WeChat will still accept: +1 per accept, -1 per message sent, 0 after a 43101
    remaining: Mapped[int] = mapped_column(default=0)
    #: the member's last answer in the dialog
    last_choice: Mapped[Choice | None] = mapped_column(enum_column(Choice, "subscribe_choice"))
    #: when they gave it (UTC)
    last_choice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when WeChat last refused a message for want of consent (UTC): what we believed was wrong
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the row last changed (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
