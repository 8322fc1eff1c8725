"""What a newcomer meets on `make run`: the demo's logins on every run, the tab's icon, and a setup that
says what is missing."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent


def test_a_second_run_lists_the_demo_logins_again_instead_of_pointing_elsewhere(app, demo):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "未重复生成演示数据" in result.output
    listed = [line.split()[0] for line in result.output.splitlines()[1:]]
    assert listed == ["admin", "dangwei", "zongzhi1", "shuji1", "zongzhi2", "shuji2", "zongzhi3", "shuji3"]
    assert set(listed) == set(demo)
    assert "Demo@2026" in result.output and "支部书记：综合办公室党支部" in result.output


def test_every_admin_page_carries_its_icon_without_a_request(client):
    page = client.get("/admin/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="data:image/svg\+xml,([^"]+)">', page)
    assert icon and unquote(icon.group(1)).startswith("<svg xmlns=")  # inline: allowed by img-src data:


def test_setup_names_a_python_too_old_before_installing_anything(tmp_path):
    old = tmp_path / "python3"
    old.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo "Python 3.9.2"; exit 0; fi\nexit 1\n')
    old.chmod(0o755)
    result = subprocess.run(
        [ROOT / "scripts/check_prereqs.sh", str(old)], capture_output=True, text=True, env=os.environ.copy()
    )
    assert result.returncode == 1
    assert "Python 3.11 or newer is needed" in result.stderr and "Python 3.9.2" in result.stderr


def test_setup_asks_for_root_only_for_the_debian_packages_that_are_missing(tmp_path):
    if os.geteuid() == 0:
        env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
        (tmp_path / "id").write_text("#!/bin/sh\necho 1000\n")  # as a user without root
        (tmp_path / "id").chmod(0o755)
    else:
        env = os.environ.copy()
    result = subprocess.run(
        [ROOT / "scripts/install_debian_packages.sh", "redis-server", "edangwu-no-such-package"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert "sudo apt-get install edangwu-no-such-package" in result.stderr
    assert "redis-server" not in result.stderr  # installed already: not asked for
