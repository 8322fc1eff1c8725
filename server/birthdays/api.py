"""Mini-program endpoints of political birthdays: the greeting card opened from the inbox, and my birthday."""

from __future__ import annotations

from server.auth.current import current_identity, current_member, member_required
from server.birthdays import services
from server.birthdays.schemas import CardSchema, MyBirthdaySchema
from server.db import utcnow
from server.http import ApiBlueprint
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.timezone import local_date

blp = ApiBlueprint("birthdays_api", __name__, url_prefix="/api", description="政治生日")
BEARER = [{"bearer": []}]


@blp.route("/birthday-greetings/<int:greeting_id>", methods=["GET"])
@member_required
@blp.response(200, CardSchema)
@blp.doc(security=BEARER)
def greeting_card(greeting_id: int):
    """My political birthday card; opening it marks its inbox item read. Another member's is "missing" (404)."""
    member_id = current_identity().id
    greeting = services.greeting_for(member_id, greeting_id)
    inbox.mark_read(member_id, InboxKind.BIRTHDAY, greeting.id)
    return services.card_of(greeting)


@blp.route("/me/birthday", methods=["GET"])
@member_required
@blp.response(200, MyBirthdaySchema)
@blp.doc(security=BEARER)
def my_birthday():
    """My political birthday: join date, years in the Party today, the next birthday and my latest card."""
    return services.my_birthday(current_member(), local_date(utcnow()))
