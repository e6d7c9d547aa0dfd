"""Metric definitions: what a metric key means, built in or defined by an organisation.

How a metric behaves over time decides how every report and rollup adds it up:

- a **flow** (impressions, leads) happens on days: a window's figure is the sum
  of its days;
- a **level** (followers, active customers) is a state measured on days: a
  window's figure is its latest value (per channel), never a sum over days;
- a **ratio** (kind ``ratio``: rates, scores) is neither: its points are
  averaged, so its ``behaviour`` is ``None``.

``part_of`` names the metric whose count already includes this one's (clicks,
shares and comments are engagements; each person reached saw an impression):
where the parent is counted, the part is not added again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from api.domain import tenancy
from api.domain.errors import Conflict, NotFound, RuleViolation
from api.domain.inputs import Draft
from api.domain.kpis.models import Kpi
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
    part_of: str | None  # the key whose count includes this one's


@dataclass(frozen=True, kw_only=True)
class MetricDefinitionDraft(Draft):
    """An organisation's own metric key; the defaults are the request's."""

    key: str
    name: str
    unit: str = ""
    kind: str = "count"
    funnel_stage: str | None = None
    description: str = ""
    behaviour: str | None = None  # flow unless said otherwise; none for ratios
    part_of: str | None = None


def _m(key, name, unit, kind, stage, description, *, behaviour="flow", part_of=None):
    """A built-in definition, as the table below spells it."""
    return Definition(
        key,
        name,
        unit,
        kind,
        stage,
        description,
        True,
        None if kind == "ratio" else behaviour,
        part_of,
    )


BUILT_IN: tuple[Definition, ...] = (
    _m("impressions", "Impressions", "views", "count", "awareness", "Times content was shown"),
    _m(
        "reach",
        "Reach",
        "people",
        "count",
        "awareness",
        "Distinct people who saw content: each saw at least one of the impressions",
        part_of="impressions",
    ),
    _m(
        "followers",
        "Followers",
        "people",
        "count",
        "awareness",
        "Audience size on a channel (a level: its latest value counts)",
        behaviour="level",
    ),
    _m("mentions", "Mentions", "mentions", "count", "awareness", "Times the company is mentioned"),
    _m(
        "competitor_mentions",
        "Competitor mentions",
        "mentions",
        "count",
        None,
        "Times competitors are mentioned (derived from mentions)",
    ),
    _m(
        "industry_mentions",
        "Industry mentions",
        "mentions",
        "count",
        None,
        "Mentions of the industry at large (derived from mentions)",
    ),
    _m(
        "sentiment_score_sum",
        "Sentiment score sum",
        "score",
        "count",
        None,
        "Sum of the sentiment scores of company mentions (derived): divided by "
        "mentions, the average sentiment of any period",
    ),
    _m("press_mentions", "Press mentions", "articles", "count", "awareness", "Press coverage"),
    _m("blog_mentions", "Blog mentions", "posts", "count", "awareness", "Coverage on blogs"),
    _m(
        "engagements",
        "Engagements",
        "interactions",
        "count",
        "engagement",
        "Likes, shares, comments and clicks together",
    ),
    _m(
        "clicks",
        "Clicks",
        "clicks",
        "count",
        "engagement",
        "Clicks on links (part of engagements)",
        part_of="engagements",
    ),
    _m(
        "shares",
        "Shares",
        "shares",
        "count",
        "engagement",
        "Shares or reposts (part of engagements)",
        part_of="engagements",
    ),
    _m(
        "comments",
        "Comments",
        "comments",
        "count",
        "engagement",
        "Comments or replies (part of engagements)",
        part_of="engagements",
    ),
    _m("email_sends", "Emails sent", "emails", "count", "awareness", "Emails delivered"),
    _m("email_opens", "Email opens", "opens", "count", "engagement", "Emails opened"),
    _m(
        "email_responses",
        "Email responses",
        "responses",
        "count",
        "engagement",
        "Replies to emails",
    ),
    _m(
        "customer_interactions",
        "Customer interactions",
        "interactions",
        "count",
        "engagement",
        "Conversations with customers on any channel",
    ),
    _m("leads", "Leads", "leads", "count", "lead", "Prospects who identified themselves"),
    _m(
        "conversions",
        "Conversions",
        "conversions",
        "count",
        "customer",
        "Leads that became customers or completed a goal",
    ),
    _m(
        "pos_sales",
        "Point-of-sale sales",
        "sales",
        "count",
        "customer",
        "Sales recorded at points of sale",
    ),
    _m("revenue", "Revenue", "currency", "currency", "customer", "Revenue attributed"),
    _m(
        "active_customers",
        "Active customers",
        "customers",
        "count",
        "customer",
        "Customers active in the period (a level: its latest value counts)",
        behaviour="level",
    ),
    _m(
        "support_tickets",
        "Support tickets",
        "tickets",
        "count",
        None,
        "Customer service requests: service demand, in no funnel stage",
    ),
    _m(
        "churned_customers",
        "Churned customers",
        "customers",
        "count",
        None,
        "Customers lost in the period: the funnel's loss figure, never a stage",
    ),
)

BY_KEY = {m.key: m for m in BUILT_IN}
# The funnel reports loss beside its stages: churned customers against active ones.
CHURN_KEY, CUSTOMER_BASE_KEY = "churned_customers", "active_customers"


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
    found = dict(BY_KEY)
    own = uow.session.scalars(select(OrganisationMetric).order_by(OrganisationMetric.key))
    found.update((m.key, _own(m)) for m in own)
    return found


def known_metric_keys(*, uow: UnitOfWork) -> set[str]:
    """Every key the organisation may send points for: built-in and its own."""
    return set(BY_KEY) | set(uow.session.scalars(select(OrganisationMetric.key)))


def list_definitions(*, uow: UnitOfWork) -> list[Definition]:
    own = uow.session.scalars(select(OrganisationMetric).order_by(OrganisationMetric.key))
    return [*BUILT_IN, *(_own(m) for m in own)]


def _own_definition(uow: UnitOfWork, key: str) -> OrganisationMetric | None:
    return uow.session.scalar(select(OrganisationMetric).where(OrganisationMetric.key == key))


def get_definition(*, uow: UnitOfWork, key: str) -> Definition:
    if key in BY_KEY:
        return BY_KEY[key]
    found = _own_definition(uow, key)
    if found is None:
        raise NotFound(f"metric definition {key!r} not found")
    return _own(found)


def create_definition(*, uow: UnitOfWork, draft: MetricDefinitionDraft) -> Definition:
    key = draft.key
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
    behaviour = _behaviour(draft)
    _check_part_of(uow, draft, behaviour)
    metric = OrganisationMetric(**{**draft.given(), "behaviour": behaviour})
    uow.session.add(metric)
    uow.commit()
    return _own(metric)


def _behaviour(draft: MetricDefinitionDraft) -> str | None:
    """Counts and currency amounts are flows unless said otherwise; ratios have no behaviour."""
    if draft.kind == "ratio":
        if draft.behaviour is not None:
            raise RuleViolation(
                "a ratio metric has no behaviour",
                errors={"behaviour": ["A ratio is averaged, neither a flow nor a level."]},
            )
        return None
    return draft.behaviour or "flow"


def _check_part_of(uow: UnitOfWork, draft: MetricDefinitionDraft, behaviour: str | None) -> None:
    """A part counts within a parent of its kind and behaviour that already exists.

    The parent exists before its part and definitions are not edited afterwards,
    so parts cannot form a cycle; a key naming itself is the one cycle to refuse.
    """
    parent_key = draft.part_of
    if parent_key is None:
        return

    def refuse(message: str) -> None:
        raise RuleViolation("part_of does not fit", errors={"part_of": [message]})

    if parent_key == draft.key:
        refuse("A metric cannot be a part of itself.")
    if draft.kind == "ratio":
        refuse("A ratio is not counted within another metric.")
    parent = catalogue_of(uow=uow).get(parent_key)
    if parent is None:
        refuse(f"Unknown metric key {parent_key!r}; see GET /v1/metric-definitions.")
    if parent.kind != draft.kind:
        refuse(f"{parent_key} is a {parent.kind} metric; a part has its parent's kind.")
    if parent.behaviour != behaviour:
        refuse(f"{parent_key} is a {parent.behaviour}; a {behaviour} cannot be a part of it.")


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
