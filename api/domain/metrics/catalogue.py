"""The built-in metric catalogue: what a metric key means, its unit, kind and funnel stage."""

from __future__ import annotations

from dataclasses import dataclass

FUNNEL_STAGES = ("awareness", "engagement", "lead", "customer", "advocacy")
KINDS = ("count", "currency", "ratio")


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    name: str
    unit: str
    kind: str
    funnel_stage: str | None
    description: str


def _m(key, name, unit, kind, stage, description) -> MetricDefinition:
    return MetricDefinition(key, name, unit, kind, stage, description)


BUILT_IN: tuple[MetricDefinition, ...] = (
    _m("impressions", "Impressions", "views", "count", "awareness", "Times content was shown"),
    _m("reach", "Reach", "people", "count", "awareness", "Distinct people who saw content"),
    _m("followers", "Followers", "people", "count", "awareness", "Audience size on a channel"),
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
    _m("clicks", "Clicks", "clicks", "count", "engagement", "Clicks on links"),
    _m("shares", "Shares", "shares", "count", "engagement", "Shares or reposts"),
    _m("comments", "Comments", "comments", "count", "engagement", "Comments or replies"),
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
        "Customers active in the period",
    ),
    _m(
        "support_tickets",
        "Support tickets",
        "tickets",
        "count",
        "advocacy",
        "Customer service requests",
    ),
    _m(
        "churned_customers",
        "Churned customers",
        "customers",
        "count",
        "advocacy",
        "Customers lost in the period",
    ),
)

BY_KEY = {m.key: m for m in BUILT_IN}


def is_known(key: str) -> bool:
    return key in BY_KEY
