"""Mini-program endpoints of the member's inbox: the list (newest first, a page at a time) and the unread badge."""

from __future__ import annotations

from server.auth.current import current_identity, member_required
from server.http import ApiBlueprint
from server.inbox import services
from server.inbox.schemas import InboxPageSchema, InboxQuerySchema, UnreadSchema

blp = ApiBlueprint("inbox_api", __name__, url_prefix="/api", description="消息盒子")
BEARER = [{"bearer": []}]


@blp.route("/inbox", methods=["GET"])
@member_required
@blp.arguments(InboxQuerySchema, location="query")
@blp.response(200, InboxPageSchema)
@blp.doc(security=BEARER)
def my_inbox(query: dict):
    """What was delivered to me, newest first; withdrawn items are gone. 422 ``invalid_cursor`` for a cursor
    this server did not give."""
    member_id = current_identity().id
    page = services.list_items(member_id, query["cursor"], query["limit"])
    items = [
        {"item": listed.item, "entry": listed.entry, "unread": listed.item.read_at is None} for listed in page.items
    ]
    by_kind = services.unread_counts(member_id)
    return {"items": items, "next_cursor": page.next_cursor, "unread": sum(by_kind.values()), "by_kind": by_kind}


@blp.route("/inbox/unread", methods=["GET"])
@member_required
@blp.response(200, UnreadSchema)
@blp.doc(security=BEARER)
def unread():
    """How many delivered items I have not opened, in all and by kind (the tab's badge)."""
    by_kind = services.unread_counts(current_identity().id)
    return {"unread": sum(by_kind.values()), "by_kind": by_kind}
