"""Tests fault our code at honest seams (the database, a worker process, RQ, settings),
never by replacing the project's own functions or module attributes."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What a test may replace: the outside world's resolver (a fake DNS answer).
OUTSIDE = {"socket"}
PATCHERS = {"setattr", "patch", "object", "dict"}


def test_no_test_replaces_the_projects_own_code():
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), name)):
            if isinstance(node, ast.ImportFrom) and node.module in ("unittest.mock", "mock"):
                found.append(f"{name}:{node.lineno} imports {node.module}")
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = ast.unparse(node.func.value)
            patching = receiver in ("monkeypatch", "mock", "mock.patch", "mocker", "patch")
            if not patching or node.func.attr not in PATCHERS:
                continue
            target = ast.unparse(node.args[0]) if node.args else ""
            if target.strip("'\"").split(".")[0] not in OUTSIDE:
                found.append(f"{name}:{node.lineno} {receiver}.{node.func.attr}({target}, …)")

    assert found == []
