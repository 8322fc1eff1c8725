"""Running one phase of a mini-program contract test (miniprogram/tests/*.contract.test.js) with jest in node,
against the live server and the emulator a pytest driver has set up."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from server.config import PROJECT_ROOT

JEST = PROJECT_ROOT / "node_modules" / ".bin" / "jest"


def run_phase(spec: str, phase: str, env: dict[str, str]) -> str:
    """Run the tests of ``spec`` (a path under the project) whose name starts with ``phase``; jest's summary."""
    assert JEST.exists(), "node_modules is missing: run `make setup`"
    result = subprocess.run(
        [str(JEST), "--ci", "--runTestsByPath", str(Path(spec)), "-t", f"^{phase}"],
        cwd=PROJECT_ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stderr
