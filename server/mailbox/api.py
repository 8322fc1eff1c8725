"""Mini-program endpoints: my mailboxes, writing a letter, my letters with their replies; the branch board.

A letter is the writer's own: any other id answers as missing (404). The board is the member's branch's.
"""

from __future__ import annotations

from server.auth.current import current_member, member_required
from server.http import ApiBlueprint
from server.mailbox import board, member_services, settings
from server.mailbox.models import ADDRESSEE_LABELS, Addressee
from server.mailbox.schemas import (
    BoardSchema,
    LetterSchema,
    LettersSchema,
    MailboxesSchema,
    NewLetterSchema,
    NewPostSchema,
    PostSchema,
)

blp = ApiBlueprint("mailbox_api", __name__, url_prefix="/api", description="书记信箱、党委信箱与留言板")
BEARER = [{"bearer": []}]


@blp.route("/mailbox", methods=["GET"])
@member_required
@blp.response(200, MailboxesSchema)
@blp.doc(security=BEARER)
def my_mailboxes():
    """Where I may write: my branch's secretary and my committee; the note shown beside the anonymity box."""
    boxes = member_services.mailboxes(current_member())
    orgs = {Addressee.SECRETARY: boxes.branch, Addressee.COMMITTEE: boxes.committee}
    return {
        "mailboxes": [
            {"addressee": addressee, "label": ADDRESSEE_LABELS[addressee], "org_name": org.name}
            for addressee, org in orgs.items()
        ],
        "anonymity_note": member_services.ANONYMITY_NOTE,
    }


@blp.route("/letters", methods=["GET"])
@member_required
@blp.response(200, LettersSchema)
@blp.doc(security=BEARER)
def my_letters():
    """The letters I wrote, newest first, with their replies."""
    return {"letters": member_services.my_letters(current_member().id)}


@blp.route("/letters", methods=["POST"])
@member_required
@blp.arguments(NewLetterSchema)
@blp.response(201, LetterSchema)
@blp.doc(security=BEARER)
def write_letter(payload: dict):
    """Write to my secretary or committee. 429 ``letter_limit`` past the daily limit."""
    return member_services.write(
        current_member(),
        payload["addressee"],
        payload["subject"].strip(),
        payload["body"].strip(),
        payload["anonymous"],
    )


@blp.route("/letters/<int:letter_id>", methods=["GET"])
@member_required
@blp.response(200, LetterSchema)
@blp.doc(security=BEARER)
def letter_detail(letter_id: int):
    """One of my letters with its reply; opening it marks the reply read in my inbox."""
    return member_services.my_letter(current_member().id, letter_id)


def _post(row, member_id: int) -> dict:
    return {
        "id": row.id,
        "author": row.member.name if row.member else "（已删除）",
        "body": row.body,
        "created_at": row.created_at,
        "mine": row.member_id == member_id,
        "status": row.status,
    }


@blp.route("/board", methods=["GET"])
@member_required
@blp.response(200, BoardSchema)
@blp.doc(security=BEARER)
def branch_board():
    """My branch's board: visible posts, and mine that wait for approval; newest first."""
    member = current_member()
    posts = [_post(row, member.id) for row in board.branch_posts(member)]
    return {"branch_name": member.org.name, "posts": posts, "premoderated": settings.premoderated(member.org_id)}


@blp.route("/board", methods=["POST"])
@member_required
@blp.arguments(NewPostSchema)
@blp.response(201, PostSchema)
@blp.doc(security=BEARER)
def post_to_board(payload: dict):
    """Post on my branch's board. 429 ``post_limit`` past the daily limit."""
    member = current_member()
    return _post(board.post(member, payload["body"]), member.id)
