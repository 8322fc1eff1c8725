"""Mini-program endpoints of the member register: a member reads their own record."""

from flask_smorest import Blueprint

from server.auth.current import current_member, member_required
from server.members.schemas import MemberProfileSchema

blp = Blueprint("members_api", __name__, url_prefix="/api", description="我的信息")


@blp.route("/me", methods=["GET"])
@member_required
@blp.response(200, MemberProfileSchema)
@blp.doc(security=[{"bearer": []}])
def me():
    """The logged-in member's own record (ID-card number masked)."""
    return current_member()
