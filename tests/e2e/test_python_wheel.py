"""The built wheel installs into a fresh virtual environment and talks to a live server.

`make sdk`'s wheel (build/sdk/dist/clover_client-<version>-py3-none-any.whl) goes into
a new venv with pip, offline (``--no-index``): nothing may be downloaded in a test.
The wheel's dependencies (httpx, attrs) are not fetched either; the new venv sees the
project's installed packages through a ``.pth`` file, so pip resolves the wheel's
``Requires-Dist`` against real installed versions (and fails if one does not satisfy
it) while ``clover_client`` itself can only come from the wheel: the project's
environment does not hold it. A script run by the new venv's interpreter then signs
nothing in by hand: it creates and reads a strategy with an organisation's key.
"""

from __future__ import annotations

import json
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

from sdk import generate
from tests.e2e.live_server import serving

SCRIPT = """
import json, sys
import clover_client
from clover_client import AuthenticatedClient
from clover_client.api.strategies import strategies_create, strategies_get
from clover_client.models import Problem, Strategy, StrategyInput

base_url, token, organisation_id = sys.argv[1:4]
client = AuthenticatedClient(base_url=base_url, token=token)
created = strategies_create.sync_detailed(
    organisation_id,
    client=client,
    body=StrategyInput.from_dict(
        {"name": "Wheel strategy", "period_start": "2027-01-01", "period_end": "2027-12-31"}
    ),
)
assert created.status_code == 201, created.content
assert isinstance(created.parsed, Strategy)
read = strategies_get.sync_detailed(organisation_id, created.parsed.id, client=client)
missing = strategies_get.sync_detailed(
    organisation_id, "00000000-0000-4000-8000-000000000000", client=client
)
print(json.dumps({
    "module": clover_client.__file__,
    "status": read.status_code,
    "name": read.parsed.name,
    "version": read.parsed.version,
    "missing": [missing.status_code, isinstance(missing.parsed, Problem)],
}))
"""


def _pip(python: Path, *args: str | Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", "--no-input", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"pip {args[0]}:\n{done.stdout}{done.stderr}"
    return done


def test_the_wheel_installs_offline_in_a_fresh_venv_and_calls_the_api(app, factory, tmp_path):
    try:
        wheel = generate.python_wheel(tmp_path / "dist")
    except generate.SdkError as error:
        pytest.fail(str(error), pytrace=False)
    version = json.loads(generate.SPEC.read_text())["info"]["version"]
    assert wheel.name == f"clover_client-{version}-py3-none-any.whl"

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    fresh_site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (fresh_site / "clover-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    _pip(python, "install", "--no-index", wheel)
    shown = _pip(python, "show", "clover-client").stdout
    assert f"Version: {version}" in shown and "Requires: attrs, httpx" in shown, shown
    _pip(python, "check")  # the installed dependencies satisfy the wheel's requirements

    org = factory.organisation()
    with serving(app) as base_url:
        done = subprocess.run(
            [python, "-c", SCRIPT, base_url, org.token, str(org.id)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,  # not the project: the package must come from the venv
        )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert Path(answer["module"]).is_relative_to(fresh_site), answer["module"]
    assert answer == {**answer, "status": 200, "name": "Wheel strategy", "version": 1}
    assert answer["missing"] == [404, True]
