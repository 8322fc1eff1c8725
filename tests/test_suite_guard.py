"""A suite told to use a server it cannot reach fails loudly instead of skipping."""

import os
import subprocess
import sys


def test_unreachable_database_fails_the_run():
    env = os.environ | {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_app.py::test_health_reports_database_reachable"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "PostgreSQL is unreachable" in result.stdout + result.stderr
