"""Every use case has one shape (docs/architecture.md): keyword-only over a unit of work
that already carries the tenant, with typed inputs; only entry points open that unit of
work for an organisation.

Each rule is checked on the code and on a snippet that breaks it, so none passes by
finding nothing to look at.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ROOT / "api" / "domain"
# The entry points that open a unit of work for an organisation: the operation decorator,
# the recording of an API key's use, the demo command, and a job's unit of work.
ENTRY_POINTS = {
    "api/http/blueprint.py",
    "api/http/context.py",
    "api/demo.py",
    "workers/runtime.py",
}
# A request body reaches a use case as a typed draft or changes, never as a mapping under
# one of these names (a provider's opaque cursor, a job's counts or an event's payload
# are not request bodies).
LOOSE = {"dict", "Mapping", "MutableMapping"}
BODY_NAMES = {"data", "changes", "values", "fields", "body", "mapping"}


def use_cases(tree: ast.Module):
    """Public module-level functions over a unit of work."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            a = node.args
            if "uow" in [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]:
                yield node


def positional(tree: ast.Module) -> list[str]:
    return [n.name for n in use_cases(tree) if n.args.posonlyargs or n.args.args]


def taking_a_tenant(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            a = node.args
            names = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
            if {"uow", "tenant"} <= names:
                found.append(node.name)
    return found


def loose_inputs(tree: ast.Module) -> list[str]:
    found = []
    for node in use_cases(tree):
        a = node.args
        for p in a.posonlyargs + a.args + a.kwonlyargs:
            annotation = p.annotation
            if isinstance(annotation, ast.Subscript):
                annotation = annotation.value
            if isinstance(annotation, ast.Name) and annotation.id in LOOSE and p.arg in BODY_NAMES:
                found.append(f"{node.name}({p.arg})")
        if a.kwarg is not None:
            found.append(f"{node.name}(**{a.kwarg.arg})")
    return found


def opening_a_tenant(tree: ast.Module) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("open_for", "scope_session")
    ]


def modules(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def domain_modules():
    return [(name, tree) for name, tree in modules("api/domain") if name != "api/domain/uow.py"]


def found_in_the_domain(rule) -> dict[str, list]:
    return {name: hits for name, tree in domain_modules() if (hits := rule(tree))}


def test_the_checks_read_the_domain():
    assert sum(len(list(use_cases(tree))) for _, tree in domain_modules()) > 150


def test_use_cases_are_keyword_only():
    assert found_in_the_domain(positional) == {}


def test_use_cases_read_the_tenant_from_the_unit_of_work():
    assert found_in_the_domain(taking_a_tenant) == {}


def test_no_request_dict_crosses_into_the_domain():
    assert found_in_the_domain(loose_inputs) == {}


def test_only_entry_points_open_a_unit_of_work_for_an_organisation():
    opened = {name for name, tree in modules("api", "workers") if opening_a_tenant(tree)}
    assert opened - {"api/domain/uow.py"} == ENTRY_POINTS  # uow.py defines open_for


BROKEN = {
    positional: "def create_campaign(uow, draft): ...",
    taking_a_tenant: "def create_campaign(*, uow, tenant, draft): ...",
    loose_inputs: "def create_campaign(*, uow, data: dict[str, object]): ...",
    opening_a_tenant: "def run(uow):\n    uow.open_for(system_tenant(organisation_id))",
}


@pytest.mark.parametrize("rule", list(BROKEN), ids=lambda rule: rule.__name__)
def test_each_check_finds_what_breaks_it(rule):
    assert rule(ast.parse(BROKEN[rule]))
