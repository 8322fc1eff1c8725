"""The production app plus one bare JSON endpoint, for ``bench/checkin_bench.py``.

``gunicorn -c deploy/gunicorn.conf.py bench_wsgi:app`` (with ``bench/`` and the repository root on
``PYTHONPATH``) serves exactly what ``wsgi:app`` serves, and ``GET /bench/bare`` answers ``{"ok": true}``
without touching the database: the same server's ceiling, through the same app (its before/after-request
hooks included), to compare the check-in rate against.
"""

from wsgi import app


@app.get("/bench/bare")
def bench_bare():
    return {"ok": True}
