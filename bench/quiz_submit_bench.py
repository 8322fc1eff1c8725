"""Exam submissions on the production stack: 20,000 members submit one exam as fast as the server allows; then
leaderboard reads over a committee of 140,000 members.

gunicorn (``deploy/gunicorn.conf.py`` serving ``bench/bench_wsgi.py``), PostgreSQL and Redis on this machine;
wrk (``apt-get install wrk``) drives it over loopback with ``bench/quiz_submit.lua`` (each member's
``POST /api/attempts/<id>/submit`` exactly once) and ``bench/leaderboard.lua``.

    .venv/bin/python bench/quiz_submit_bench.py               # 3 rounds of 20,000 members, 16 connections

Steps:

1. ``bench/generate.py`` into ``edangwu_quiz_bench`` (or ``QUIZ_BENCH_DATABASE_URL``; **its schema ``public`` is
   dropped and rebuilt**): 8,000 organisations and 140,000 members, with the real migrations.
2. A bank of 50 questions and one exam for the whole committee (20 questions drawn per member, 30 minutes,
   pass mark 60, 1 point a right answer and 5 for passing). For the warm-up and each round, members drawn at
   random across the tree, each with a mini-program session and an attempt started ten minutes ago with its
   own draw and option order (``server.quizzes.draw``, the app's own code) and all 20 answers saved, as the
   phone leaves them before 交卷. Written with COPY.
3. Learning points for every one of the 140,000 members (1 to 8 ledger entries over the last 40 days), then
   the Redis leaderboards rebuilt from the ledger (``leaderboard.rebuild()``, timed): the submissions then
   add to sorted sets of realistic size. Redis db ``QUIZ_BENCH_REDIS_URL`` (default 6380/14) is flushed first.
4. gunicorn starts; a warm-up; then each round, a new wrk, every member of the round submits once.
5. Checked afterwards: every attempt of every round submitted and scored exactly once, its points in the
   ledger exactly once, every answer 200 with a score, no traceback in the gunicorn log, and the committee's
   Redis leaderboard equal to the ledger's (top 200).
6. Leaderboard reads: in process, ``leaderboard.top`` and ``standing`` over the whole committee (140,000
   members) from Redis and, for comparison, from the database; over HTTP, members reading their committee's
   board (``GET /api/leaderboard?scope=committee``) for ``--read-seconds``.

Exit status 1 when a check fails, or, with ``--check``, when the median round misses the target
(≥ 500 submissions/s with p99 < 200 ms).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import runpy
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from benchdb import ensure_database, libpq_url
from checkin_bench import (
    WrkResult,
    _parse_wrk,
    _wrk_base,
    cpu_line,
    cpu_per_request,
    cpu_snapshot,
    free_port,
    run_bare,
    start_gunicorn,
    stop_gunicorn,
    utilisation,
    wait_healthy,
)
from redis import Redis

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_quiz_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6380/14"
SECRET_KEY = "quiz-bench-secret-key-not-for-production"
TARGET_RATE = 500.0
TARGET_P99_MS = 200.0
QUESTIONS, DRAWN = 50, 20


# -- data ------------------------------------------------------------------------------------------------------


def load_register(url: str) -> None:
    """8,000 organisations and 140,000 members through bench/generate.py (schema from the migrations)."""
    import generate

    os.environ["DATABASE_URL"] = url
    generate.main([])


def empty_quiz_tables(url: str) -> None:
    """What an earlier run seeded on top of the register (``--skip-load``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE quiz_attempt_items, quiz_attempts, quiz_banks, quizzes, questions, question_banks,"
            " wrong_answers, points_entries, member_sessions, audit_log RESTART IDENTITY CASCADE"
        )


def make_app():
    import logging

    from server import create_app

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("server").setLevel(logging.WARNING)
    return app


@dataclass
class Exam:
    quiz_id: int
    candidates: list  # server.quizzes.draw.Candidate
    answers: dict[int, list[int]]


def seed_exam(app) -> Exam:
    """A committee-wide bank and exam, through the app's own models."""
    from server.db import db, utcnow
    from server.orgs.models import Organisation
    from server.quizzes.draw import Candidate
    from server.quizzes.models import Question, QuestionBank, QuestionKind, Quiz, QuizKind, QuizStatus, Reveal

    with app.app_context():
        root_id = db.session.scalar(
            db.select(Organisation.id).where(Organisation.parent_id.is_(None)).order_by(Organisation.id).limit(1)
        )
        bank = QuestionBank(org_id=root_id, name="压测题库")
        db.session.add(bank)
        for n in range(QUESTIONS):
            if n % 5 == 4:
                question = Question(
                    bank=bank, kind=QuestionKind.TRUE_FALSE, stem=f"判断题{n}", options=[], answer=[n % 2]
                )
            elif n % 5 == 3:
                options = [f"选项{n}-{k}" for k in range(4)]
                question = Question(
                    bank=bank, kind=QuestionKind.MULTIPLE, stem=f"多选题{n}", options=options, answer=[0, 2]
                )
            else:
                options = [f"选项{n}-{k}" for k in range(4)]
                question = Question(
                    bank=bank, kind=QuestionKind.SINGLE, stem=f"单选题{n}", options=options, answer=[n % 4]
                )
            question.explanation = f"第{n}题解析"
            db.session.add(question)
        now = utcnow()
        exam = Quiz(
            org_id=root_id,
            kind=QuizKind.EXAM,
            title="压测：全集团党章党规知识考试",
            draw_count=DRAWN,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=6),
            time_limit_s=1800,
            attempts_allowed=1,
            pass_mark=60,
            shuffle_options=True,
            reveal=Reveal.AFTER_CLOSE,
            status=QuizStatus.PUBLISHED,
            points_per_correct=1,
            pass_points=5,
            published_at=now - timedelta(hours=2),
        )
        exam.banks = [bank]
        db.session.add(exam)
        db.session.commit()
        questions = db.session.scalars(db.select(Question).where(Question.bank_id == bank.id)).all()
        candidates = [Candidate(q.id, q.kind, len(q.options)) for q in questions]
        return Exam(exam.id, candidates, {q.id: q.answer for q in questions})


def copy(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], rows) -> int:
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)
            count += 1
    return count


def seed_attempts(url: str, exam: Exam, batches: list[int], rng: random.Random) -> list[list[tuple[str, int]]]:
    """Members with a session and an attempt started ten minutes ago with every answer saved, one batch per
    count in ``batches``; returns each batch's (token, attempt id)."""
    from server.auth.tokens import new_token
    from server.quizzes import draw, scoring

    now = datetime.now(UTC)
    started = now - timedelta(minutes=10)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        members = cur.execute("SELECT id, org_id FROM members").fetchall()
        chosen = rng.sample(members, sum(batches))
        first_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM quiz_attempts").fetchone()[0]
        attempts, items, sessions, out = [], [], [], []
        for index, (member_id, org_id) in enumerate(chosen):
            attempt_id = first_id + index
            seed = draw.new_seed()
            token = new_token()
            sessions.append(
                (
                    hashlib.sha256(token.encode()).hexdigest(),
                    member_id,
                    f"bench-{member_id}",
                    now,
                    now + timedelta(days=30),
                )
            )
            attempts.append(
                (
                    attempt_id,
                    exam.quiz_id,
                    member_id,
                    org_id,
                    1,
                    seed,
                    started,
                    started + timedelta(minutes=30),
                    "in_progress",
                    0,
                    0,
                )
            )
            knows = rng.uniform(0.45, 0.97)
            moment = started
            for item in draw.paper(seed, exam.candidates, DRAWN, True):
                moment += timedelta(seconds=rng.uniform(5, 25))
                right = scoring.shown_answer(exam.answers[item.question_id], item.option_order)
                given = right if rng.random() < knows else [(right[0] + 1) % len(item.option_order)]
                items.append(
                    (
                        attempt_id,
                        item.position,
                        item.question_id,
                        json.dumps(item.option_order),
                        json.dumps(given),
                        moment,
                    )
                )
            out.append((token, attempt_id))
        copy(cur, "member_sessions", ("token_hash", "member_id", "openid", "created_at", "expires_at"), sessions)
        attempt_columns = ("id", "quiz_id", "member_id", "org_id", "number", "seed", "started_at", "deadline_at")
        copy(cur, "quiz_attempts", (*attempt_columns, "status", "total", "points_awarded"), attempts)
        copy(
            cur,
            "quiz_attempt_items",
            ("attempt_id", "position", "question_id", "option_order", "given", "answered_at"),
            items,
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('quiz_attempts', 'id'), (SELECT max(id) FROM quiz_attempts))")
        conn.commit()
    batched, start = [], 0
    for size in batches:
        batched.append(out[start : start + size])
        start += size
    return batched


def seed_points(url: str, rng: random.Random) -> int:
    """1 to 8 ledger entries for every member over the last 40 days (practice, reading, contests)."""
    today = datetime.now(UTC).date()
    sources = (("practice", 5), ("reading", 6), ("contest", 6))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        member_ids = [row[0] for row in cur.execute("SELECT id FROM members")]

        def rows():
            for member_id in member_ids:
                for n in range(rng.randint(1, 8)):
                    source, cap = sources[n % 3]
                    day = today - timedelta(days=rng.randint(0, 40))
                    moment = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
                    yield (member_id, source, f"{source}:seed-{n}", rng.randint(1, cap), day, "", moment)

        count = copy(
            cur, "points_entries", ("member_id", "source", "ref", "points", "earned_on", "note", "created_at"), rows()
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return count


# -- runs ------------------------------------------------------------------------------------------------------


def run_submits(args, base: str, server_pid: int, tmp: Path, attempts_file: Path, first: int, count: int) -> WrkResult:
    """Every member of lines [first, first + count) submits once; timed until the last answer arrives."""
    markers = Path(tempfile.mkdtemp(dir=tmp, prefix="markers-"))
    script_args = [str(attempts_file), str(first), str(count), str(args.wrk_threads), str(markers)]
    command = [*_wrk_base(args), "-d", "600s", "-s", str(BENCH_DIR / "quiz_submit.lua"), base, "--", *script_args]
    before = cpu_snapshot(server_pid, None)
    started = time.perf_counter()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while len(list(markers.iterdir())) < args.wrk_threads:
            if wrk.poll() is not None or time.perf_counter() - started > 590:
                raise SystemExit(f"wrk ended or hung before every member submitted:\n{wrk.communicate()}")
            time.sleep(0.002)
        seconds = time.perf_counter() - started
        after = cpu_snapshot(server_pid, wrk.pid)
        wrk.send_signal(signal.SIGINT)
        out, err = wrk.communicate(timeout=30)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    if err.strip():
        print(err.strip(), file=sys.stderr)
    result = _parse_wrk(out, seconds)
    result.unexpected = sum(int(marker.read_text() or 0) for marker in markers.iterdir())
    result.cpu = {key: after[key] - before.get(key, 0.0) for key in after}
    return result


def run_reads(args, base: str, server_pid: int, attempts_file: Path, query: str) -> WrkResult:
    count = min(args.members, 5000)
    script = ["-s", str(BENCH_DIR / "leaderboard.lua"), base, "--", str(attempts_file), str(count), query]
    command = [*_wrk_base(args), "-d", f"{args.read_seconds}s", *script]
    before = cpu_snapshot(server_pid, None)
    started = time.perf_counter()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(max(args.read_seconds - 0.05, 0))
    after = cpu_snapshot(server_pid, wrk.pid)
    out, err = wrk.communicate(timeout=args.read_seconds + 30)
    if err.strip():
        print(err.strip(), file=sys.stderr)
    result = _parse_wrk(out, time.perf_counter() - started)
    result.seconds = args.read_seconds
    result.cpu = {key: after[key] - before.get(key, 0.0) for key in after}
    return result


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"p50 {at(0.5):.2f} / p95 {at(0.95):.2f} / p99 {at(0.99):.2f} / max {ordered[-1]:.2f} ms"


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def leaderboard_in_process(app, member_ids: list[int]) -> list[str]:
    """Reads of the whole committee's board (140,000 members): Redis, and the database for comparison."""
    from server.db import db
    from server.orgs.models import Organisation
    from server.points import leaderboard
    from server.points.leaderboard import DatabaseBoard, Period

    lines = []
    with app.app_context():
        root = db.session.scalar(db.select(Organisation).where(Organisation.parent_id.is_(None)))
        members = db.session.scalar(db.select(db.func.count()).select_from(db.text("members")))
        board = leaderboard.board()
        rng = random.Random(7)
        for _ in range(20):
            leaderboard.top(root, Period.ALL)
        top = timed(lambda: leaderboard.top(root, Period.ALL), 300)
        rank = timed(lambda: leaderboard.standing(rng.choice(member_ids), root, Period.ALL), 300)
        month = timed(lambda: leaderboard.top(root, Period.MONTH), 300)
        lines.append(f"{type(board).__name__}, whole committee ({members:,d} members):")
        lines.append(f"  top 50 with names, all time: {percentiles(top)}")
        lines.append(f"  top 50 with names, this month: {percentiles(month)}")
        lines.append(f"  one member's rank and points: {percentiles(rank)}")
        database = DatabaseBoard()
        top_db = timed(lambda: leaderboard._standings(database.top(root, Period.ALL, 50)), 5)
        rank_db = timed(lambda: database.standing(rng.choice(member_ids), root, Period.ALL), 5)
        lines.append("DatabaseBoard (the embedded default's), the same board, for comparison:")
        lines.append(f"  top 50 with names, all time: {percentiles(top_db)}")
        lines.append(f"  one member's rank and points: {percentiles(rank_db)}")
        db.session.rollback()
    return lines


# -- checks ----------------------------------------------------------------------------------------------------


def verify(url: str, attempt_ids: list[int]) -> list[str]:
    problems = []
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*),"
            " count(*) FILTER (WHERE status = 'submitted' AND score IS NOT NULL AND closed_by = 'member'),"
            " count(*) FILTER (WHERE points_awarded > 0), coalesce(sum(points_awarded), 0)"
            " FROM quiz_attempts WHERE id = ANY(%s)",
            (attempt_ids,),
        ).fetchone()
        total, scored, earning, points = row
        if (total, scored) != (len(attempt_ids), len(attempt_ids)):
            problems.append(f"attempts: {total} found, {scored} submitted and scored, expected {len(attempt_ids)}")
        ledger = conn.execute(
            "SELECT count(*), coalesce(sum(p.points), 0) FROM points_entries p JOIN quiz_attempts a"
            " ON a.member_id = p.member_id AND p.source = 'exam' AND p.ref = 'exam:' || a.quiz_id WHERE a.id = ANY(%s)",
            (attempt_ids,),
        ).fetchone()
        if tuple(ledger) != (earning, points):
            problems.append(f"ledger: {ledger} exam entries and points, attempts say {(earning, points)}")
        marked = conn.execute(
            "SELECT count(*) FROM quiz_attempt_items WHERE attempt_id = ANY(%s) AND correct IS NULL", (attempt_ids,)
        ).fetchone()[0]
        if marked:
            problems.append(f"{marked} answers left unmarked")
    return problems


def board_matches_ledger(app) -> list[str]:
    from server.db import db
    from server.orgs.models import Organisation
    from server.points import leaderboard
    from server.points.leaderboard import DatabaseBoard, Period

    with app.app_context():
        root = db.session.scalar(db.select(Organisation).where(Organisation.parent_id.is_(None)))
        live = sorted((s.rank, s.points) for s in leaderboard.top(root, Period.ALL, 200))
        ledger = sorted((s.rank, s.points) for s in leaderboard._standings(DatabaseBoard().top(root, Period.ALL, 200)))
        db.session.rollback()
    return [] if live == ledger else ["the committee's Redis leaderboard differs from the ledger's"]


# -- main ------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20_000, help="members who submit in each round (20,000)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds, each with its own members (3)")
    parser.add_argument("--warmup", type=int, default=1000, help="submissions before the measured rounds")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, help="GUNICORN_WORKERS (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--gunicorn-threads", type=int, help="GUNICORN_THREADS (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--worker-class", help="override the config's gthread")
    parser.add_argument("--app", default="bench_wsgi:app")
    parser.add_argument("--max-requests", type=int, default=0, help="GUNICORN_MAX_REQUESTS (0: no restarts)")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--read-seconds", type=int, default=10, help="length of the HTTP leaderboard read run")
    parser.add_argument(
        "--bare-seconds", type=int, default=5, help="length of the run against GET /bench/bare, the floor (0: none)"
    )
    parser.add_argument(
        "--skip-load", action="store_true", help="keep the register loaded by an earlier run (its quiz data is emptied)"
    )
    parser.add_argument("--check", action="store_true", help="exit status 1 when the target is missed")
    parser.add_argument(
        "--boot-timeout", type=float, default=60, help="seconds for every worker to boot (a busy machine needs more)"
    )
    args = parser.parse_args()
    deploy = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    args.workers = args.workers or deploy["workers"]
    args.gunicorn_threads = args.gunicorn_threads or deploy["threads"]

    url = libpq_url(os.environ.get("QUIZ_BENCH_DATABASE_URL", DEFAULT_URL))
    redis_url = os.environ.get("QUIZ_BENCH_REDIS_URL", DEFAULT_REDIS)
    tmp = Path(tempfile.mkdtemp(prefix="quiz-bench-"))
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET_KEY,
        INSTANCE_DIR=str(tmp / "instance"),
        TRUSTED_PROXIES="0",
        EDANGWU_STAGING="1",
        HUEY_NAME="edangwu-quiz-bench",
    )
    rng = random.Random(2026)
    t0 = time.perf_counter()
    ensure_database(url)
    if args.skip_load:
        empty_quiz_tables(url)
    else:
        load_register(url)
    t1 = time.perf_counter()
    Redis.from_url(redis_url).flushdb()
    app = make_app()
    exam = seed_exam(app)
    batches = seed_attempts(url, exam, [args.warmup] + [args.members] * args.rounds, rng)
    t2 = time.perf_counter()
    entries = seed_points(url, rng)
    t3 = time.perf_counter()
    from server.points import leaderboard

    with app.app_context():
        rebuilt_at = time.perf_counter()
        boards = leaderboard.rebuild()
        rebuild_seconds = time.perf_counter() - rebuilt_at
    print(
        f"register {t1 - t0:.1f} s; exam and {sum(map(len, batches)):,d} attempts with their answers"
        f" {t2 - t1:.1f} s; {entries:,d} ledger entries {t3 - t2:.1f} s; {boards:,d} Redis leaderboards"
        f" rebuilt in {rebuild_seconds:.1f} s"
    )
    attempts_file = tmp / "attempts.txt"
    attempts_file.write_text("".join(f"{token} {attempt}\n" for batch in batches for token, attempt in batch))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "gunicorn.log"
    server = start_gunicorn(args, port, log_path)
    rounds: list[WrkResult] = []
    try:
        wait_healthy(server, base, args.workers, timeout=args.boot_timeout)
        first = 0
        if args.warmup:
            warm = run_submits(args, base, server.pid, tmp, attempts_file, 0, args.warmup)
            print(f"warm-up: {warm.requests} submissions at {warm.rate:.0f}/s")
            first = args.warmup
        for number in range(args.rounds):
            result = run_submits(
                args, base, server.pid, tmp, attempts_file, first + number * args.members, args.members
            )
            rounds.append(result)
            print(f"round {number + 1}: {result.rate:.0f} submissions/s, p99 {result.p99_ms:.1f} ms")
        reads = run_reads(args, base, server.pid, attempts_file, "scope=committee&period=all")
        bare = run_bare(args, base, server.pid, args.bare_seconds) if args.bare_seconds else None
    finally:
        stop_gunicorn(server)

    problems = []
    for batch, result in zip(batches[1:], rounds, strict=True):
        problems += verify(url, [attempt for _, attempt in batch])
        if result.requests != args.members or result.unexpected or any(result.errors.values()):
            problems.append(f"a round: {result.requests} answers, {result.unexpected} unexpected, {result.errors}")
    if any(reads.errors.values()):
        problems.append(f"leaderboard reads: {reads.errors}")
    if bare is not None and any(bare.errors.values()):
        problems.append(f"bare run: {bare.errors}")
    log_text = log_path.read_text(errors="replace")
    if "Traceback" in log_text or "[ERROR]" in log_text:
        problems.append(f"gunicorn log has errors: {log_path}")
    problems += board_matches_ledger(app)
    in_process = leaderboard_in_process(app, _member_ids(url))

    config = f"{args.workers} {args.worker_class or 'gthread'} workers x {args.gunicorn_threads} threads"
    print()
    print(
        f"{args.members:,d} submissions per round, {config},"
        f" wrk {args.wrk_threads} threads x {args.connections} connections"
    )
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; gunicorn log {log_path}")
    print()
    print("| round | submissions/s | p50 / p90 / p99 / max ms | app / PG / Redis CPU ms per submission | busy |")
    print("| --- | --- | --- | --- | --- |")
    for number, result in enumerate(rounds, start=1):
        cpu = cpu_per_request(result)
        print(
            f"| {number} | {result.rate:.0f} | {result.p50_ms:.1f} / {result.p90_ms:.1f} / {result.p99_ms:.1f} / "
            f"{result.max_ms:.1f} | {cpu['app']:.2f} / {cpu['postgres']:.2f} / {cpu['redis']:.2f} | "
            f"{utilisation(result):.0f}% |"
        )
    rate = statistics.median(result.rate for result in rounds)
    p99 = statistics.median(result.p99_ms for result in rounds)
    seconds = statistics.median(result.seconds for result in rounds)
    print(f"| **median** | **{rate:.0f}** | – / – / **{p99:.1f}** / – | | |")
    print(f"\n{args.members:,d} members submitted in {seconds:.1f} s (median round)")
    print(
        f"\nleaderboard over HTTP (GET /api/leaderboard?scope=committee, {args.read_seconds} s):"
        f" {reads.rate:.0f} reads/s, p50 {reads.p50_ms:.1f} ms, p99 {reads.p99_ms:.1f} ms"
    )
    print(cpu_line("reads", reads))
    if bare is not None:
        print_floor(rounds, bare)
    print()
    for line in in_process:
        print(line)
    met = rate >= TARGET_RATE and p99 < TARGET_P99_MS
    print(
        f"\ntarget ≥ {TARGET_RATE:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms (median round):"
        f" {'met' if met else 'MISSED'}; verification: {'ok' if not problems else 'FAILED'}"
    )
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems or (args.check and not met) else 0


def print_floor(rounds: list[WrkResult], bare: WrkResult) -> None:
    """The bare endpoint (the same gunicorn and app, its hooks, no database): the most a request can cost
    least here; and the rate the CPU would allow, from the median round's CPU per submission."""
    cores = os.cpu_count() or 1
    cpu = {
        key: statistics.median(cpu_per_request(result).get(key, 0.0) for result in rounds)
        for key in ("app", "postgres", "redis", "wrk")
    }
    floor = cpu_per_request(bare).get("app", 0.0)
    print(
        f"\nbare endpoint (GET /bench/bare, {bare.seconds:.0f} s): {bare.rate:.0f} requests/s,"
        f" p50 {bare.p50_ms:.1f} ms, p99 {bare.p99_ms:.1f} ms"
    )
    print(cpu_line("bare", bare))
    total = sum(cpu.values())
    if total > 0:
        rest = total - cpu["app"]
        print(
            f"CPU ceiling on {cores} cores (median round, app + PG + Redis + wrk {total:.2f} ms per submission):"
            f" {1000 * cores / total:.0f}/s; with the app at the bare request's {floor:.2f} ms and the rest"
            f" as measured ({rest:.2f} ms): {1000 * cores / (floor + rest):.0f}/s"
        )


def _member_ids(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM members")]


if __name__ == "__main__":
    sys.exit(main())
