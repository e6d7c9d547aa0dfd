"""The built-in metric catalogue: what a metric key means, its unit, kind and funnel stage.

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

from dataclasses import dataclass

FUNNEL_STAGES = ("awareness", "engagement", "lead", "customer", "advocacy")
KINDS = ("count", "currency", "ratio")
BEHAVIOURS = ("flow", "level")


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    name: str
    unit: str
    kind: str
    funnel_stage: str | None
    description: str
    behaviour: str | None = "flow"  # flow or level; None for ratio metrics
    part_of: str | None = None  # the key whose count includes this one's


def _m(key, name, unit, kind, stage, description, *, behaviour="flow", part_of=None):
    return MetricDefinition(
        key, name, unit, kind, stage, description, None if kind == "ratio" else behaviour, part_of
    )


BUILT_IN: tuple[MetricDefinition, ...] = (
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


def is_known(key: str) -> bool:
    return key in BY_KEY
