"""The audit tests write through every domain, so they borrow the meetings fixtures."""

from tests.meetings.conftest import make_meeting, token_for  # noqa: F401  (fixtures)
