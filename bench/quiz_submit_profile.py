"""Where an exam submission's CPU goes: SQL statements per 交卷, CPU of the app and of its PostgreSQL backend
per submission, and a cProfile of the app, in one process.

Run after ``bench/quiz_submit_bench.py`` (it reuses that database, its register, exam and ledger):

    .venv/bin/python bench/quiz_submit_profile.py [--members 1000] [--top 30] [--sort tottime]

It seeds ``--members`` fresh attempts at the bench's exam, each with every answer saved (as the bench does),
and submits them through ``app.test_client()`` (the whole Flask stack, no gunicorn, no network), one thread:
half without the profiler, timing the CPU of this process and of the one PostgreSQL backend it uses
(``/proc/<pid>/stat``), so other work on the machine is not counted; half under cProfile (CPU time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

from quiz_submit_bench import DEFAULT_REDIS, DEFAULT_URL, SECRET_KEY, Exam, seed_attempts  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc (PostgreSQL backends are other processes)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="time them all, no cProfile")
    parser.add_argument("--save", metavar="FILE", help="also write the cProfile's stats to FILE (pstats format)")
    parser.add_argument(
        "--answers", type=int, default=0, help="first time this many answer saves (PUT …/items/<n>), as during an exam"
    )
    args = parser.parse_args()
    from benchdb import libpq_url

    url = libpq_url(os.environ.get("QUIZ_BENCH_DATABASE_URL", DEFAULT_URL))
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("QUIZ_BENCH_REDIS_URL", DEFAULT_REDIS),
        SECRET_KEY=SECRET_KEY,
        INSTANCE_DIR="/tmp/quiz-profile-instance",
        TRUSTED_PROXIES="0",
        EDANGWU_STAGING="1",
    )
    import logging

    import sqlalchemy as sa

    from server import create_app
    from server.db import db
    from server.quizzes.draw import Candidate
    from server.quizzes.models import Question, Quiz

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("server").setLevel(logging.WARNING)
    with app.app_context():
        # A new exam like the bench's, on its bank: members who took that one may take this one.
        model = db.session.get(Quiz, db.session.scalar(sa.select(sa.func.max(Quiz.id))))
        columns = [c.key for c in sa.inspect(Quiz).column_attrs if c.key not in ("id", "title")]
        quiz = Quiz(**{key: getattr(model, key) for key in columns}, title=f"剖析 {time.strftime('%H:%M:%S')}")
        quiz.banks = list(model.banks)
        db.session.add(quiz)
        db.session.commit()
        bank_ids = [bank.id for bank in quiz.banks]
        questions = db.session.scalars(sa.select(Question).where(Question.bank_id.in_(bank_ids))).all()
        exam = Exam(
            quiz.id,
            [Candidate(q.id, q.kind, len(q.options)) for q in questions],
            {q.id: q.answer for q in questions},
        )
        backend = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        db.session.remove()
    (batch,) = seed_attempts(url, exam, [args.members], random.Random(time.time_ns()))

    statements: list[str] = []

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    from server.db import DriverStatement

    run = DriverStatement.run

    def counted_run(self, driver, params):  # the hot path's statements bypass SQLAlchemy's events
        statements.append(" ".join(self.sql.split()))
        return run(self, driver, params)

    DriverStatement.run = counted_run  # type: ignore[method-assign]

    client = app.test_client()

    def submit(token: str, attempt_id: int) -> None:
        response = client.post(f"/api/attempts/{attempt_id}/submit", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and "score" in response.json, response.json

    submit(*batch[0])  # warm: compiled statements, prepared plans
    statements.clear()
    submit(*batch[1])
    print("SQL of one submission:")
    for statement in statements:
        print(f"  {statement[:160]}")

    if args.answers:
        time_answers(client, batch[2:], args.answers, backend)
    plain, profiled = (batch[2:], []) if not args.profile else (batch[2 : len(batch) // 2], batch[len(batch) // 2 :])
    statements.clear()
    with app.app_context():
        same_backend = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend
        db.session.remove()
    pg = backend_cpu(backend)
    wall, cpu = time.perf_counter(), time.process_time()
    for token, attempt_id in plain:
        submit(token, attempt_id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pg = backend_cpu(backend) - pg
    kinds = Counter(statement.split()[0] for statement in statements)
    print(
        f"\n{len(plain)} submissions in one thread, no profiler: {1000 * wall / len(plain):.2f} ms wall,"
        f" {1000 * cpu / len(plain):.2f} ms CPU of the app and"
        f" {1000 * pg / len(plain):.2f} ms of its PostgreSQL backend{'' if same_backend else ' (NOT the same one)'}"
        f" each; {len(statements) / len(plain):.1f} statements each ({dict(kinds)}, plus COMMIT)"
    )
    if not profiled:
        return 0
    profile = cProfile.Profile(time.process_time)  # CPU time: waiting on PostgreSQL is not counted
    profile.enable()
    for token, attempt_id in profiled:
        submit(token, attempt_id)
    profile.disable()
    print(f"cProfile of {len(profiled)} more:")
    if args.save:
        profile.dump_stats(args.save)
    stats = pstats.Stats(profile)
    by_package: Counter[str] = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        parts = Path(filename).parts
        if "site-packages" in parts:
            package = parts[parts.index("site-packages") + 1]
        elif "server" in parts:
            package = "server (ours)"
        else:
            package = "python stdlib/builtins" if filename.startswith(("~", "<")) or "python3" in filename else filename
        by_package[package] += tottime
    total = sum(by_package.values())
    print("CPU by package (own time, share of the profiled total):")
    for package, seconds in by_package.most_common(12):
        print(f"  {package:<28} {100 * seconds / total:5.1f} %")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


def time_answers(client, attempts: list[tuple[str, int]], count: int, backend: int) -> None:
    """Members answering as they go: ``count`` saves, spread over the attempts' 20 questions (choice ``[0]``,
    valid for every kind), each its own request; the same CPU figures as for the submissions."""
    saves = [(token, attempt_id, 1 + n // len(attempts) % 20) for n, (token, attempt_id) in enumerate(attempts * 20)]
    saves = saves[:count]
    pg, wall, cpu = backend_cpu(backend), time.perf_counter(), time.process_time()
    for token, attempt_id, position in saves:
        response = client.put(
            f"/api/attempts/{attempt_id}/items/{position}",
            json={"given": [0]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.json
    wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, backend_cpu(backend) - pg
    print(
        f"\n{len(saves)} answer saves in one thread: {1000 * wall / len(saves):.2f} ms wall,"
        f" {1000 * cpu / len(saves):.2f} ms CPU of the app and {1000 * pg / len(saves):.2f} ms of its PostgreSQL"
        " backend each"
    )


if __name__ == "__main__":
    sys.exit(main())
