"""Mini-program endpoints of the member register: a member reads their own record and home page."""

from datetime import timedelta

from marshmallow import Schema, fields

from server.auth.current import current_member, member_required
from server.db import utcnow
from server.http import ApiBlueprint
from server.meetings.services import meetings_of
from server.members.schemas import MemberProfileSchema

blp = ApiBlueprint("members_api", __name__, url_prefix="/api", description="我的信息")


class HomeSchema(Schema):
    """What needs the member's attention. Meetings, dues, newspapers and quizzes fill their parts as they arrive."""

    member_name = fields.String(required=True)
    branch_name = fields.String(required=True)
    next_meeting = fields.Dict(allow_none=True, metadata={"description": "null until meetings exist"})
    unpaid_dues_fen = fields.Integer(required=True)
    unread_newspapers = fields.Integer(required=True)
    open_quizzes = fields.Integer(required=True)


@blp.route("/me", methods=["GET"])
@member_required
@blp.response(200, MemberProfileSchema)
@blp.doc(security=[{"bearer": []}])
def me():
    """The logged-in member's own record (ID-card number masked)."""
    return current_member()


@blp.route("/home", methods=["GET"])
@member_required
@blp.response(200, HomeSchema)
@blp.doc(security=[{"bearer": []}])
def home():
    """The member's home page: the next meeting, unpaid dues, unread newspapers, open quizzes."""
    member = current_member()
    upcoming = [m for m in meetings_of(member, since=utcnow()) if m.starts_at >= utcnow() - timedelta(hours=3)]
    nearest = min(upcoming, key=lambda m: m.starts_at, default=None)
    return {
        "member_name": member.name,
        "branch_name": member.org.name,
        "next_meeting": {"id": nearest.id, "title": nearest.title, "starts_at": nearest.starts_at.isoformat()}
        if nearest
        else None,
        "unpaid_dues_fen": 0,
        "unread_newspapers": 0,
        "open_quizzes": 0,
    }
