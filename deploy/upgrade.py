"""Upgrade without downtime, step 1: apply only migrations the old code can run on, then migrate.

    deploy/manage.sh upgrade              # check the pending migrations, then `flask db upgrade`
    deploy/manage.sh upgrade --check      # only say whether the pending migrations are safe
    deploy/manage.sh upgrade --contract   # also apply contracting migrations (see below)

The rule (deploy/README.md, "Upgrading without downtime"): while instances restart one at a time, the
previous release still serves requests on the new schema. So a release's migrations only **expand**:
new tables, new nullable columns or columns with a server default, new indexes (concurrently on big
tables). What the old code still reads or writes is never dropped, renamed, retyped or tightened in the
same release: that **contract** step comes in a later release, once no running code uses the old thing.

This script reads the ``upgrade()`` of every migration between the database's revision and the head and
refuses contracting operations unless ``--contract`` says the previous release no longer uses them.
Step 2, restarting the instances one at a time, is the operator's (systemd: `systemctl restart
edangwu-web` on one machine, wait for /healthz, then the next; the local stack: deploy/local_stack.py).
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "migrations" / "versions"

# Operations that remove or tighten what the running (old) code uses.
CONTRACTING = {
    "drop_table": "drops a table",
    "drop_column": "drops a column",
    "rename_table": "renames a table",
    "drop_constraint": "drops a constraint the old code may rely on",
}


@dataclass(frozen=True)
class Finding:
    revision: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.revision} line {self.line}: {self.what}"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _not_null_without_default(column: ast.expr) -> bool:
    """``sa.Column(..., nullable=False)`` with no server_default: the old code's INSERTs would fail."""
    return (
        isinstance(column, ast.Call)
        and _is_false(_keyword(column, "nullable"))
        and _keyword(column, "server_default") is None
        and _keyword(column, "primary_key") is None
    )


def contracting_operations(source: str, revision: str = "?") -> list[Finding]:
    """What in the migration's ``upgrade()`` the previous release could not run on."""
    tree = ast.parse(source)
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    if upgrade is None:
        return []
    found = []
    for node in ast.walk(upgrade):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in CONTRACTING:
            found.append(Finding(revision, node.lineno, f"{name}: {CONTRACTING[name]}"))
        elif name == "alter_column":
            if _keyword(node, "new_column_name") is not None:
                found.append(Finding(revision, node.lineno, "alter_column(new_column_name=...): renames a column"))
            if _is_false(_keyword(node, "nullable")):
                found.append(Finding(revision, node.lineno, "alter_column(nullable=False): old code may write NULL"))
            if _keyword(node, "type_") is not None:
                found.append(Finding(revision, node.lineno, "alter_column(type_=...): retypes a column"))
        elif name == "add_column" and any(_not_null_without_default(arg) for arg in node.args):
            found.append(
                Finding(revision, node.lineno, "add_column NOT NULL without server_default: old code's inserts fail")
            )
    return sorted(found, key=lambda finding: finding.line)


def revision_files() -> dict[str, tuple[str | None, Path]]:
    """revision -> (down_revision, file), read from the files without importing them."""
    out = {}
    for path in VERSIONS.glob("*.py"):
        values = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    values[target.id] = ast.literal_eval(node.value) if node.value else None
        if "revision" in values:
            out[values["revision"]] = (values.get("down_revision"), path)
    return out


def pending(current: str | None) -> list[tuple[str, Path]]:
    """The migrations after ``current`` up to the head, oldest first (one linear chain)."""
    files = revision_files()
    children = {down: rev for rev, (down, _) in files.items()}
    chain, rev = [], children.get(current)
    while rev is not None:
        chain.append((rev, files[rev][1]))
        rev = children.get(rev)
    return chain


def current_revision(database_url: str) -> str | None:
    import sqlalchemy as sa

    from server.config import database_url as normalised

    os.environ["DATABASE_URL"] = database_url
    engine = sa.create_engine(normalised())
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def check(env: dict[str, str], allow_contract: bool = False) -> list[str]:
    """The pending revisions; SystemExit naming each contracting operation unless allowed."""
    sys.path.insert(0, str(ROOT))
    current = current_revision(env["DATABASE_URL"])
    todo = pending(current)
    findings = [f for rev, path in todo for f in contracting_operations(path.read_text(), rev)]
    if findings and not allow_contract:
        lines = "\n".join(f"  - {f}" for f in findings)
        raise SystemExit(
            "upgrade: refusing: these pending migrations contract the schema while the previous release still runs:\n"
            f"{lines}\n"
            "Ship them in a later release than the code that stopped using those things, then run\n"
            "`deploy/manage.sh upgrade --contract`; or stop every web and worker service first."
        )
    return [rev for rev, _ in todo]


def migrate(env: dict[str, str], allow_contract: bool = False) -> list[str]:
    todo = check(env, allow_contract)
    if not todo:
        print("upgrade: the database is at the head; nothing to migrate", flush=True)
        return todo
    print(f"upgrade: applying {', '.join(todo)} (expand only: the running release keeps working)", flush=True)
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True
    )
    return todo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check the pending migrations")
    parser.add_argument("--contract", action="store_true", help="the previous release no longer uses what they drop")
    args = parser.parse_args()
    env = dict(os.environ)
    if "DATABASE_URL" not in env:
        raise SystemExit("upgrade: DATABASE_URL is not set (deploy/manage.sh upgrade loads /etc/edangwu/env)")
    if args.check:
        todo = check(env, args.contract)
        print(
            f"upgrade: {len(todo)} pending migration(s), safe while the previous release runs: {', '.join(todo) or '-'}"
        )
        return
    migrate(env, args.contract)


if __name__ == "__main__":
    main()
