"""Mini-program endpoints of the member register: a member reads their own record and home page."""

from marshmallow import Schema, fields, validate

from server.auth.current import current_member, member_required
from server.db import utcnow
from server.http import ApiBlueprint
from server.members.home import home_for
from server.members.schemas import MemberProfileSchema

blp = ApiBlueprint("members_api", __name__, url_prefix="/api", description="我的信息")

TODO_ACTIONS = ("checkin", "show_code", "leave_pending")


class HomeMeetingSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    place = fields.String(required=True)
    strict_checkin = fields.Boolean(required=True, metadata={"description": "现场核验: the member shows their code"})


class TodoSchema(Schema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(TODO_ACTIONS),
        metadata={"description": "checkin, show_code (现场核验) or leave_pending"},
    )
    meeting = fields.Nested(HomeMeetingSchema, required=True)


class HomeSchema(Schema):
    """The member's home page. Only what the server knows: a feature's entry and figures appear once the
    feature exists (``features``); there are no placeholder zeros for features still to come."""

    member_name = fields.String(required=True)
    branch_name = fields.String(required=True)
    features = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "features this deployment offers on the phone, e.g. meetings; later dues, study…"},
    )
    next_meeting = fields.Nested(HomeMeetingSchema, allow_none=True, required=True)
    todos = fields.List(
        fields.Nested(TodoSchema),
        required=True,
        metadata={"description": "today's and tomorrow's meetings still needing the member, earliest first"},
    )


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
    """The member's home page: the features on offer, the next meeting, today's and tomorrow's to-dos."""
    return home_for(current_member(), utcnow())
