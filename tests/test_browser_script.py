"""scripts/browser, the step of `make test` that provides Chromium for the browser test.

Run with a PATH of its own, so that these tests neither see this machine's Chromium
nor ever reach apt-get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "browser"
BASH = shutil.which("bash")


def run(path: Path, **env: str) -> subprocess.CompletedProcess:
    for tool in ("id", "cat"):
        link = path / tool
        if not link.exists():
            link.symlink_to(shutil.which(tool))
    return subprocess.run(
        [BASH, str(SCRIPT)],
        env={"PATH": str(path), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_with_chromium_on_path_it_does_nothing(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)

    done = run(tmp_path)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_without_chromium_a_user_is_told_the_command_to_run(tmp_path):
    done = run(tmp_path, CLOVER_BROWSER_AS_USER="1")

    assert done.returncode == 1
    assert "    sudo apt-get install chromium\n" in done.stderr
    assert done.stdout == ""


def test_without_chromium_or_apt_get_even_root_is_told_the_command_to_run(tmp_path):
    done = run(tmp_path)

    assert done.returncode == 1
    assert "sudo apt-get install chromium" in done.stderr
    if os.geteuid() == 0:
        assert "installing" not in done.stdout
