"""Metric definitions: the built-in catalogue plus the keys an organisation defines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from api.domain import tenancy
from api.domain.errors import Conflict, NotFound, RuleViolation
from api.domain.kpis.models import Kpi
from api.domain.metrics.catalogue import BUILT_IN, BY_KEY
from api.domain.metrics.models import MetricPoint, OrganisationMetric
from api.domain.uow import UnitOfWork

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
# Keeps the list of definitions one short, unpaged answer.
MAX_DEFINITIONS = 500


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    unit: str
    kind: str
    funnel_stage: str | None
    description: str
    built_in: bool
    behaviour: str | None  # flow or level; None for ratio metrics (averaged)
    part_of: str | None


def _built_in(key: str) -> Definition:
    m = BY_KEY[key]
    return Definition(
        m.key, m.name, m.unit, m.kind, m.funnel_stage, m.description, True, m.behaviour, m.part_of
    )


def _own(m: OrganisationMetric) -> Definition:
    return Definition(
        m.key,
        m.name,
        m.unit,
        m.kind,
        m.funnel_stage,
        m.description,
        False,
        m.behaviour,
        m.part_of,
    )


def catalogue_of(*, uow: UnitOfWork) -> dict[str, Definition]:
    """Every metric the organisation can use, built-in and its own, by key (two lookups at most)."""
    found = {m.key: _built_in(m.key) for m in BUILT_IN}
    own = uow.session.scalars(select(OrganisationMetric).order_by(OrganisationMetric.key))
    found.update((m.key, _own(m)) for m in own)
    return found


def known_metric_keys(*, uow: UnitOfWork) -> set[str]:
    """Every key the organisation may send points for: built-in and its own."""
    return set(BY_KEY) | set(uow.session.scalars(select(OrganisationMetric.key)))


def list_definitions(*, uow: UnitOfWork) -> list[Definition]:
    own = uow.session.scalars(select(OrganisationMetric).order_by(OrganisationMetric.key))
    return [_built_in(m.key) for m in BUILT_IN] + [_own(m) for m in own]


def _own_definition(uow: UnitOfWork, key: str) -> OrganisationMetric | None:
    return uow.session.scalar(select(OrganisationMetric).where(OrganisationMetric.key == key))


def get_definition(*, uow: UnitOfWork, key: str) -> Definition:
    if key in BY_KEY:
        return _built_in(key)
    found = _own_definition(uow, key)
    if found is None:
        raise NotFound(f"metric definition {key!r} not found")
    return _own(found)


def create_definition(*, uow: UnitOfWork, data: dict) -> Definition:
    key = data["key"]
    if not KEY_PATTERN.match(key):
        raise RuleViolation(
            "invalid metric key",
            errors={"key": ["2 to 64 of a-z, 0-9 and _, starting with a letter."]},
        )
    if key in BY_KEY:
        raise Conflict(f"{key!r} is a built-in metric key")
    if _own_definition(uow, key) is not None:
        raise Conflict(f"the organisation already defines the metric key {key!r}")
    count = uow.session.scalar(select(func.count()).select_from(OrganisationMetric))
    if count >= MAX_DEFINITIONS:
        raise RuleViolation(f"an organisation defines at most {MAX_DEFINITIONS} metric keys")
    data = {**data, "behaviour": _behaviour(data)}
    _check_part_of(uow, data)
    metric = OrganisationMetric(**data)
    uow.session.add(metric)
    uow.commit()
    return _own(metric)


def _behaviour(data: dict) -> str | None:
    """Counts and currency amounts are flows unless said otherwise; ratios have no behaviour."""
    behaviour = data.get("behaviour")
    if data.get("kind", "count") == "ratio":
        if behaviour is not None:
            raise RuleViolation(
                "a ratio metric has no behaviour",
                errors={"behaviour": ["A ratio is averaged, neither a flow nor a level."]},
            )
        return None
    return behaviour or "flow"


def _check_part_of(uow: UnitOfWork, data: dict) -> None:
    """A part counts within a parent of its kind and behaviour that already exists.

    The parent exists before its part and definitions are not edited afterwards,
    so parts cannot form a cycle; a key naming itself is the one cycle to refuse.
    """
    parent_key = data.get("part_of")
    if parent_key is None:
        return

    def refuse(message: str) -> None:
        raise RuleViolation("part_of does not fit", errors={"part_of": [message]})

    if parent_key == data["key"]:
        refuse("A metric cannot be a part of itself.")
    if data.get("kind", "count") == "ratio":
        refuse("A ratio is not counted within another metric.")
    parent = catalogue_of(uow=uow).get(parent_key)
    if parent is None:
        refuse(f"Unknown metric key {parent_key!r}; see GET /v1/metric-definitions.")
    if parent.kind != data.get("kind", "count"):
        refuse(f"{parent_key} is a {parent.kind} metric; a part has its parent's kind.")
    if parent.behaviour != data["behaviour"]:
        refuse(
            f"{parent_key} is a {parent.behaviour}; a {data['behaviour']} cannot be a part of it."
        )


def delete_definition(*, uow: UnitOfWork, key: str) -> None:
    """Only an unused key goes: points or KPIs measured by it keep it (409)."""
    if key in BY_KEY:
        raise Conflict(f"{key!r} is a built-in metric key; it cannot be deleted")
    metric = _own_definition(uow, key)
    if metric is None:
        raise NotFound(f"metric definition {key!r} not found")
    has_points = tenancy.any_row(
        uow.session, select(MetricPoint.id).where(MetricPoint.metric_key == key)
    )
    has_kpis = tenancy.any_row(
        uow.session,
        select(Kpi.id).where(
            or_(Kpi.metric_key == key, Kpi.numerator_key == key, Kpi.denominator_key == key)
        ),
    )
    has_parts = tenancy.any_row(
        uow.session, select(OrganisationMetric.id).where(OrganisationMetric.part_of == key)
    )
    if has_points or has_kpis or has_parts:
        used_by = " and ".join(
            what
            for what, used in (
                ("metric points", has_points),
                ("KPIs", has_kpis),
                ("the metric keys that are parts of it", has_parts),
            )
            if used
        )
        raise Conflict(f"the metric key {key!r} is used by {used_by}; it cannot be deleted")
    uow.session.delete(metric)
    uow.commit()
