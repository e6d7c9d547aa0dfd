"""The import contracts `make lint` runs (pyproject.toml, [tool.importlinter]) hold for the
code, and each one fails on a copy of the code that breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    # lint-imports puts its working directory first on sys.path: a copy there is what it reads.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "templates")
    for package in ("api", "workers"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# (module, line added to it, the contract it breaks)
VIOLATIONS = {
    "domain imports flask": (
        "api/domain/strategies/rules.py",
        "import flask",
        "The domain knows nothing of the web BROKEN",
    ),
    "domain imports marshmallow": (
        "api/domain/kpis/rollups.py",
        "import marshmallow",
        "The domain knows nothing of the web BROKEN",
    ),
    "http imports a resource": (
        "api/http/crud.py",
        "import api.resources.v1.campaigns.routes",
        "Resources, then HTTP, then the domain BROKEN",
    ),
    "domain imports http": (
        "api/domain/campaigns/service.py",
        "import api.http.context",
        "Resources, then HTTP, then the domain BROKEN",
    ),
    "api imports the workers": (
        "api/http/limits.py",
        "import workers.runtime",
        "The API does not import the workers BROKEN",
    ),
    "identity imports organisations back": (
        "api/domain/identity/service.py",
        "import api.domain.organisations.service",
        "Domain areas depend one way, models aside BROKEN",
    ),
    "oauth server imports its views": (
        "api/oauth/server.py",
        "import api.oauth.views",
        "No import cycles outside the domain BROKEN",
    ),
    "the reports blueprint imports a report": (
        "api/resources/v1/reports/blueprint.py",
        "import api.resources.v1.reports.roi",
        "No import cycles outside the domain BROKEN",
    ),
    "a provider imports the registry": (
        "workers/providers/sandbox.py",
        "import workers.providers.registry",
        "No import cycles outside the domain BROKEN",
    ),
    "the job runtime imports a job": (
        "workers/runtime.py",
        "import workers.sync",
        "No import cycles outside the domain BROKEN",
    ),
}


@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
def test_an_import_that_breaks_a_contract_fails_the_lint(tmp_path, violation):
    module, line, broken = VIOLATIONS[violation]
    code = copy_of_the_code(tmp_path)
    target = code / module
    # Inside a function, as the old cycles hid: the linter reads those imports too.
    target.write_text(target.read_text() + f"\n\ndef _late():\n    {line}\n")

    result = lint_imports(code)

    assert result.returncode != 0
    assert broken in result.stdout, result.stdout
