"""Time a 10,000-row Excel import of the member register, end to end, on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edangwu_import_bench python bench/import_bench.py

What is timed is what a secretary waits for: the upload request through the real view (login, CSRF
token, multipart POST, header check, the file stored for the worker), then the Huey job run in this
process (every row checked, then all members and their audit records written in one transaction).
The database is created if missing and brought to the latest migration; a committee, a branch and its
secretary are created if missing; members left in that branch by an earlier run are deleted first, so
the same ID-card numbers can be imported again. Target: under 15 s in all.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchdb import ensure_database, libpq_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_bench"
COMMITTEE, BRANCH = "导入压测党委", "导入压测支部"
USERNAME, PASSWORD = "import_bench", "Import#Bench2026"
TARGET_SECONDS = 15.0


def isolate_process(url: str) -> None:
    """Settings read when ``server`` is imported: this database, and a job queue of our own."""
    scratch = Path(tempfile.mkdtemp(prefix="edangwu-import-bench-"))
    os.environ["DATABASE_URL"] = url
    os.environ["INSTANCE_DIR"] = str(scratch)  # sessions and the SQLite queue, not the repository's instance/
    os.environ["JOBS_DB"] = str(scratch / "jobs.db")
    os.environ["HUEY_NAME"] = f"edangwu-import-bench-{os.getpid()}"  # never a real worker's queue
    os.environ.setdefault("SECRET_KEY", "import-bench")
    os.environ["EDANGWU_STAGING"] = "1"  # PostgreSQL with the emulator's settings: not production, on purpose


def prepare_branch() -> int:
    """The committee, branch and secretary, created once; the branch emptied of an earlier run's members."""
    import sqlalchemy as sa

    from server.auth.admin_services import create_admin
    from server.auth.models import AdminUser, Role
    from server.db import db
    from server.members.models import Member
    from server.orgs.models import Organisation, OrgKind
    from server.orgs.services import create_org

    def live(name: str, parent: Organisation | None) -> Organisation | None:
        under = Organisation.parent_id == parent.id if parent else Organisation.parent_id.is_(None)
        return db.session.scalar(
            sa.select(Organisation).where(Organisation.name == name, under, Organisation.dissolved_at.is_(None))
        )

    committee = live(COMMITTEE, None) or create_org(COMMITTEE, OrgKind.COMMITTEE, None)
    branch = live(BRANCH, committee) or create_org(BRANCH, OrgKind.BRANCH, committee)
    if db.session.scalar(sa.select(AdminUser.id).where(AdminUser.username == USERNAME)) is None:
        create_admin(USERNAME, PASSWORD, "压测书记", Role.SECRETARY, branch)
    removed = db.session.execute(sa.delete(Member).where(Member.org_id == branch.id)).rowcount
    db.session.commit()
    if removed:
        print(f"removed {removed} members left by an earlier run")
    return branch.id


def csrf_token(client, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    if match is None:
        raise SystemExit(f"no CSRF token on {path}")
    return match.group(1)


def logged_in_client(app):
    client = app.test_client()
    response = client.post(
        "/admin/login",
        data={"username": USERNAME, "password": PASSWORD, "csrf_token": csrf_token(client, "/admin/login")},
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed ({response.status_code}): has someone changed {USERNAME}'s password?")
    return client


@contextmanager
def timed(timings: dict[str, float], key: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - started


def timing_phases(timings: dict[str, float]) -> None:
    """Wrap the job's two phases; the job calls them through the module, so the wrappers are seen."""
    from server.members import imports

    for name, key in (("validate_rows", "validation"), ("insert_members", "insert")):
        phase = getattr(imports, name)

        def wrapper(*args, _phase=phase, _key=key, **kwargs):
            with timed(timings, _key):
                return _phase(*args, **kwargs)

        setattr(imports, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    url = libpq_url(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    ensure_database(url)
    isolate_process(url)

    import flask_migrate

    from server import create_app
    from server.db import db
    from server.members.models import ImportStatus, MemberImport
    from server.tasks import run_pending_jobs

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_import_file import make_workbook

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
        prepare_branch()
    started = time.perf_counter()
    content = make_workbook(args.rows, BRANCH, args.seed)
    print(f"generated {args.rows} rows ({len(content) / 1e6:.1f} MB) in {time.perf_counter() - started:.2f} s")

    # Requests run outside any app context, as on a server: an outer one would be reused by each
    # request and share ``g`` (the CSRF token, the logged-in admin) between them.
    client = logged_in_client(app)
    token = csrf_token(client, "/admin/members/import")
    timings: dict[str, float] = {}
    timing_phases(timings)
    with timed(timings, "total"):
        with timed(timings, "upload request"):
            response = client.post(
                "/admin/members/import",
                data={"csrf_token": token, "file": (io.BytesIO(content), "党员名册.xlsx")},
                content_type="multipart/form-data",
            )
        if response.status_code != 302:
            raise SystemExit(f"upload refused ({response.status_code}): {response.get_data(as_text=True)[-500:]}")
        import_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with timed(timings, "job"), app.app_context():
            run_pending_jobs()
    with app.app_context():
        job = db.session.get(MemberImport, import_id)
        db.engine.dispose()

    print(f"import #{import_id}: {job.status.value}, {job.created_count} members created")
    for key in ("upload request", "validation", "insert", "job", "total"):
        print(f"  {key:<15} {timings.get(key, 0.0):7.2f} s")
    print(f"  {'rows/s':<15} {args.rows / timings['total']:7.0f}")
    if job.status is not ImportStatus.DONE or job.created_count != args.rows:
        print(f"FAILED: {job.message or (job.errors or [])[:5]}")
        return 1
    verdict = "within" if timings["total"] < TARGET_SECONDS else "OVER"
    print(f"{verdict} the {TARGET_SECONDS:.0f} s target")
    return 0 if timings["total"] < TARGET_SECONDS else 2


if __name__ == "__main__":
    sys.exit(main())
