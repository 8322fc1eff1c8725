"""What one Excel upload costs the server: a zip bomb against a real 10,000-row register.

    .venv/bin/python bench/upload_bench.py                         # all three cases
    .venv/bin/python bench/upload_bench.py --tracemalloc           # peaks of Python's allocations too
    .venv/bin/python bench/upload_bench.py --case bomb --megabytes 200

Each case runs in a fresh child process on a scratch SQLite database (built with the real migrations),
so one case's peak memory cannot hide another's. A case is what a secretary (or an attacker with a
secretary's login) does: the upload request through the real view (login, CSRF token, multipart POST),
then the import job in the same process. Reported per phase: wall time and how far the process's peak
resident memory (``ru_maxrss``) rose above what it was after start-up, and the CPU seconds it used
(the fair figure on a busy machine), plus the job's final state. ``ru_maxrss`` only rises past the
highest point start-up reached (migrations, imports); ``--tracemalloc`` gives each phase's own peak of
Python allocations (openpyxl and the rows are all Python objects), at some cost in time.

Cases:
- bomb: the import template with a 0.5 MB ``xl/sharedStrings.xml`` that expands to ``--megabytes`` MB of
  one-letter strings (``tests/hostile_files.py``);
- dense: the costliest file the bounds let through: a 1.9 MB upload whose table of distinct strings
  unpacks to 15 MB (packs 8 to 1, so no ratio check can tell it from a real register);
- normal: ``make_import_file.py``'s ``--rows`` rows, which all import.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BRANCH = "导入压测支部"
DENSE_BLOCKS = 12  # x 61,680 distinct strings of about 22 bytes: just under the 16 MB table bound


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _cpu_s() -> float:
    """CPU seconds of this process: unlike wall time, barely moved by other load on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_file(case: str, rows: int, megabytes: int) -> bytes:
    """The upload of ``case``; built by the parent, so that building it cannot raise the child's peak."""
    from make_import_file import make_workbook

    from server.members.excel import template_workbook
    from tests.hostile_files import shared_strings_bomb

    if case == "bomb":
        return shared_strings_bomb(template_workbook([BRANCH]), megabytes)
    if case == "dense":
        return shared_strings_bomb(template_workbook([BRANCH]), DENSE_BLOCKS, unique=True)
    return make_workbook(rows, BRANCH)


def _traced_peak_mb() -> float | None:
    """Peak of Python's own allocations since the last call (None unless --tracemalloc)."""
    if not tracemalloc.is_tracing():
        return None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    return round(peak / 2**20, 1)


def run_case(case: str, content: bytes, traced: bool = False) -> dict:
    """One upload and its job, in this process; returns the measurements."""
    scratch = Path(tempfile.mkdtemp(prefix="edangwu-upload-bench-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{scratch / 'bench.db'}",
        INSTANCE_DIR=str(scratch),
        JOBS_DB=str(scratch / "jobs.db"),
        HUEY_NAME=f"edangwu-upload-bench-{os.getpid()}",
        SECRET_KEY="upload-bench",
    )
    os.environ.pop("REDIS_URL", None)

    import flask_migrate
    from import_bench import csrf_token, logged_in_client, prepare_branch

    from server import create_app
    from server.db import db
    from server.members.models import MemberImport
    from server.tasks import run_pending_jobs

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
        prepare_branch()
    client = logged_in_client(app)
    token = csrf_token(client, "/admin/members/import")

    result: dict = {"case": case, "upload_mb": round(len(content) / 1e6, 2)}
    if traced:
        tracemalloc.start()
    baseline, started, cpu = _peak_mb(), time.perf_counter(), _cpu_s()
    response = client.post(
        "/admin/members/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "党员名册.xlsx")},
        content_type="multipart/form-data",
    )
    result["request_s"] = round(time.perf_counter() - started, 2)
    result["request_cpu_s"] = round(_cpu_s() - cpu, 2)
    result["request_peak_rise_mb"] = round(_peak_mb() - baseline, 1)
    result["request_traced_peak_mb"] = _traced_peak_mb()
    result["request_status"] = response.status_code
    if response.status_code != 302:
        result["refusal"] = _refusal(response.get_data(as_text=True))
        return result
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    baseline, started, cpu = _peak_mb(), time.perf_counter(), _cpu_s()
    with app.app_context():
        run_pending_jobs()
    result["job_s"] = round(time.perf_counter() - started, 2)
    result["job_cpu_s"] = round(_cpu_s() - cpu, 2)
    result["job_peak_rise_mb"] = round(_peak_mb() - baseline, 1)
    result["job_traced_peak_mb"] = _traced_peak_mb()
    with app.app_context():
        job = db.session.get(MemberImport, import_id)
        result.update(status=job.status.value, created=job.created_count, message=job.message)
    return result


def _refusal(html: str) -> str:
    import re

    match = re.search(r'data-code="([^"]*)">([^<]*)<', html)
    return f"{match.group(1)}: {match.group(2)}" if match else html[-300:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=("bomb", "dense", "normal", "all"), default="all")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the normal file")
    parser.add_argument("--megabytes", type=int, default=200, help="expanded size of the bomb's shared strings")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python's allocations (slower)")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.case, Path(args.child).read_bytes(), args.tracemalloc), ensure_ascii=False))
        return 0
    cases = ("bomb", "dense", "normal") if args.case == "all" else (args.case,)
    for case in cases:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as upload:
            upload.write(make_file(case, args.rows, args.megabytes))
            upload.flush()
            command = [sys.executable, __file__, "--case", case, "--child", upload.name]
            command += ["--tracemalloc"] if args.tracemalloc else []
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        print(json.loads(output.strip().splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
