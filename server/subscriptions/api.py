"""Mini-program endpoints: what the member agreed to be reminded of, and recording a new answer."""

from __future__ import annotations

from server.auth.current import current_identity, member_required
from server.auth.models import MemberSession
from server.db import db
from server.http import ApiBlueprint
from server.subscriptions import services
from server.subscriptions.schemas import ChoicesSchema, SubscriptionsSchema

blp = ApiBlueprint("subscriptions_api", __name__, url_prefix="/api", description="消息提醒")
BEARER = [{"bearer": []}]


def _caller() -> tuple[int, str]:
    """The member and the WeChat user at the phone: consent is WeChat's per user, so it is counted per openid."""
    identity = current_identity()
    return identity.id, db.session.get_one(MemberSession, identity.session_id).openid


@blp.route("/me/subscriptions", methods=["GET"])
@member_required
@blp.response(200, SubscriptionsSchema)
@blp.doc(security=BEARER)
def my_subscriptions():
    """Each kind of reminder this deployment sends: how many times the member may still be reminded."""
    return {"subscriptions": services.summary(*_caller())}


@blp.route("/me/subscriptions", methods=["POST"])
@member_required
@blp.arguments(ChoicesSchema)
@blp.response(200, SubscriptionsSchema)
@blp.doc(security=BEARER)
def record_subscriptions(payload: dict):
    """Record the answer of wx.requestSubscribeMessage; each accept is one more reminder. Answers the new list."""
    member_id, openid = _caller()
    services.record_choices(member_id, openid, payload["results"])
    return {"subscriptions": services.summary(member_id, openid)}
