"""The mobile newspaper (手机报): numbered issues of articles, reviewed before they go out, delivered to
members' inboxes and announced by subscribe message, with reads, likes and forwards counted."""
