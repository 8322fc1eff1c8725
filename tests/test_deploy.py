"""What an operator relies on in deploy/: the upgrade refuses migrations the running release cannot live with,
env.example documents every setting, the nginx site the local stack runs is the one shipped, and a gunicorn
worker forked from a preloaded master never shares the master's database connections."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import sqlalchemy as sa

from server.admin.assets import VENDOR_FILES
from server.config import PROJECT_ROOT
from server.db import db

sys.path.insert(0, str(PROJECT_ROOT / "deploy"))
import local_stack
import upgrade

EXPAND = """
def upgrade():
    op.create_table(
        "notes", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("body", sa.Text(), nullable=False)
    )
    op.add_column("members", sa.Column("nickname", sa.String(40), nullable=True))
    op.add_column("members", sa.Column("score", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_members_nickname", "members", ["nickname"])

def downgrade():
    op.drop_column("members", "nickname")
    op.drop_table("notes")
"""

CONTRACT = """
def upgrade():
    op.drop_column("members", "phone")
    with op.batch_alter_table("members") as batch:
        batch.alter_column("name", new_column_name="full_name")
        batch.alter_column("email", nullable=False)
    op.add_column("members", sa.Column("rank", sa.Integer(), nullable=False))
    op.rename_table("notes", "memos")
"""


def test_expanding_migrations_pass_and_their_downgrade_is_not_read():
    assert upgrade.contracting_operations(EXPAND) == []


def test_each_contracting_operation_is_named_with_its_line():
    found = [(f.line, f.what.split(":")[0]) for f in upgrade.contracting_operations(CONTRACT, "abc")]
    assert found == [
        (3, "drop_column"),
        (5, "alter_column(new_column_name=...)"),
        (6, "alter_column(nullable=False)"),
        (7, "add_column NOT NULL without server_default"),
        (8, "rename_table"),
    ]


def test_the_upgrade_refuses_a_contracting_release_unless_told_the_old_code_is_gone(tmp_path, monkeypatch):
    (tmp_path / "a1.py").write_text('revision = "a1"\ndown_revision = None\n' + EXPAND)
    (tmp_path / "b2.py").write_text('revision = "b2"\ndown_revision = "a1"\n' + CONTRACT)
    monkeypatch.setattr(upgrade, "VERSIONS", tmp_path)
    monkeypatch.setattr(upgrade, "current_revision", lambda url: "a1")
    env = {"DATABASE_URL": "sqlite://"}

    try:
        upgrade.check(env)
    except SystemExit as refusal:
        message = str(refusal)
    else:
        raise AssertionError("a contracting migration was let through")
    assert "b2 line 5: drop_column" in message and "--contract" in message
    assert upgrade.check(env, allow_contract=True) == ["b2"]
    monkeypatch.setattr(upgrade, "current_revision", lambda url: None)
    assert [rev for rev, _ in upgrade.pending(None)] == ["a1", "b2"]


def test_the_real_migrations_form_one_chain_to_the_head():
    chain = [rev for rev, _ in upgrade.pending(None)]
    assert len(chain) == len(list((PROJECT_ROOT / "migrations" / "versions").glob("*.py")))
    assert upgrade.pending(chain[-1]) == []


def _settings_read(path: Path) -> set[str]:
    text = path.read_text()
    pattern = r'(?:environ(?:\.get)?\(\s*|environ\[|_(?:int|bool|float)_env\(\s*|_int\(\s*)"([A-Z][A-Z0-9_]+)"'
    return set(re.findall(pattern, text))


def test_env_example_documents_every_setting_the_server_and_gunicorn_read():
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (PROJECT_ROOT / "deploy" / "env.example").read_text(), re.M)
    )
    read = set()
    for path in [*PROJECT_ROOT.joinpath("server").rglob("*.py"), PROJECT_ROOT / "deploy" / "gunicorn.conf.py"]:
        if "emulator" not in path.parts:
            read |= _settings_read(path)
    assert read - documented == set()


def test_the_stack_runs_the_shipped_nginx_site_with_both_instances():
    site = local_stack.render_site(down=frozenset({"web2"}))
    assert "server 127.0.0.1:8101 max_fails=3 fail_timeout=10s;" in site
    assert "server 127.0.0.1:8102 max_fails=3 fail_timeout=10s down;" in site
    directives = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    assert "[::]" not in directives and "/srv/edangwu" not in directives
    for alias in re.findall(r"alias (\S+);", site):
        assert Path(alias).exists(), alias


def test_nginx_serves_exactly_the_admin_libraries_the_app_serves():
    shipped = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    served = dict(re.findall(r"location = /static/vendor/(\S+) \{\s+alias /srv/edangwu/node_modules/(\S+);", shipped))
    assert served == VENDOR_FILES


def test_the_web_preloads_the_app_and_workers_start_without_the_masters_connections(app):
    conf = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
    settings: dict = {"__file__": str(conf)}  # as gunicorn loads it: a module with its own path
    exec(conf.read_text(), settings)
    assert settings["preload_app"] is True

    from server.forking import drop_connections, forget_inherited

    with app.app_context():
        db.engine.dispose()  # earlier tests of this run left connections in the pool: start from one
        db.session.execute(sa.text("SELECT 1"))
        db.session.remove()
        assert db.engine.pool.checkedin() == 1  # the master holds a connection
    pid = os.fork()
    if pid == 0:  # the worker
        forget_inherited(app)
        with app.app_context():
            fresh = db.engine.pool.checkedin() == 0
        os._exit(0 if fresh else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    drop_connections(app)
    with app.app_context():
        assert db.engine.pool.checkedin() == 0
