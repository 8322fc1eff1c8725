"""Signals the newspaper sends for other features to act on.

``article_read(sender, member_id, article_id, at)`` is sent once per member and article, the first time
the member reads the article to the end, inside the request's transaction (a receiver that writes, such
as the quiz feature's learning points, commits with the read or not at all). It is the ONE place
learning points for reading hook in; connect a receiver with ``article_read.connect(fn)``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a member read an article to the end for the first time (see the module docstring)
article_read = _signals.signal("article-read")
