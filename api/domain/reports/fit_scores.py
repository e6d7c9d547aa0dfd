"""Pure rules of the audience × channel fit: value weights, shares, fit scores, mismatches.

For one audience, over the organisation's channels:

- **desired share** of a channel = the audience's preference for the channel's kind /
  the sum of its preferences over every channel (each channel of a kind carries the
  kind's weight). The value weight multiplies every channel of an audience alike, so it
  cancels out of the share; it ranks the mismatches instead.
- **effort share** of a channel = the mean of its spend share (its part of the
  audience's attributed budget) and its hours share (its part of the audience's
  content hours); the one there is when the audience has only spend or only hours.
- **fit score** = effort share − desired share: 0 is effort where the audience
  wants it; −0.48 is 48 points of effort fewer than its preference asks for, +0.2
  is 20 points more.
- **mismatch weight** = |fit score| × value weight: a gap matters more for a more
  valuable audience.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from api.domain.reports.figures import Figure

K = TypeVar("K")

# The value tier as a number (value_tier is ordinal; these are its documented weights).
VALUE_WEIGHTS = {"low": 0.25, "medium": 0.5, "high": 0.75, "strategic": 1.0}
NO_PREFERENCE = "the audience states no preference for {kind}"
NO_PREFERENCES = "the audience states no preference above 0 for any channel"
NO_EFFORT = "no spend and no hours for the audience in the window"
MISMATCHES = 5  # the largest gaps, in plain words
TOP_PREFERENCES = 2  # how many of an audience's preferences a sentence names


def value_weight(tier: str) -> float:
    return VALUE_WEIGHTS[tier]


def desired_shares(preferences: Mapping[K, float | None], kinds: Mapping[K, str]) -> dict:
    """channel → the share of the audience's effort its preferences ask for.

    ``preferences`` maps each channel to the audience's weight for its kind, ``None``
    where it states none (that channel's share is ``None`` with the reason).
    """
    total = sum(weight for weight in preferences.values() if weight is not None)
    shares = {}
    for key, weight in preferences.items():
        if weight is None:
            shares[key] = Figure.missing(NO_PREFERENCE.format(kind=kinds[key]))
        elif total <= 0:
            shares[key] = Figure.missing(NO_PREFERENCES)
        else:
            shares[key] = Figure(weight / total)
    return shares


def effort_shares(spend: Mapping[K, Decimal], hours: Mapping[K, float]) -> dict[K, Figure]:
    """channel → its share of the audience's effort (see the module's rule)."""
    keys = list(dict.fromkeys([*spend, *hours]))
    spent = sum(spend.values(), Decimal(0))
    worked = sum(hours.values())
    shares = {}
    for key in keys:
        parts = []
        if spent > 0:
            parts.append(float(spend.get(key, Decimal(0)) / spent))
        if worked > 0:
            parts.append(hours.get(key, 0.0) / worked)
        shares[key] = Figure(sum(parts) / len(parts)) if parts else Figure.missing(NO_EFFORT)
    return shares


def fit_score(*, effort: Figure, desired: Figure) -> Figure:
    """effort share − desired share; ``None`` with the reason of the missing one."""
    if desired.value is None:
        return desired
    if effort.value is None:
        return effort
    return Figure(effort.value - desired.value)


def mismatch_weight(*, fit: Figure, weight: float) -> float:
    return abs(fit.value) * weight if fit.value is not None else 0.0


@dataclass(frozen=True)
class Gap:
    """One cell's gap, with what the sentence about it needs."""

    audience: str
    tier: str
    highest_value: bool  # the only audience of the report with the highest tier
    preferences: Mapping[str, float]  # channel kind → weight, as the audience states them
    channel: str
    kind: str
    effort_share: float
    desired_share: float
    weight: float  # the mismatch weight, to rank gaps
    key: Any = field(default=None, compare=False)  # the caller's cell, handed back


def largest(gaps: Sequence[Gap], count: int = MISMATCHES) -> list[Gap]:
    """The ``count`` heaviest gaps above 0, heaviest first; ties by names.

    Weights are compared to 9 places: two gaps equal on paper (0.45 − 0.5625 and
    0.55 − 0.4375) differ in the last bits of a float and must still tie.
    """
    ranked = sorted(
        (gap for gap in gaps if round(gap.weight, 9) > 0),
        key=lambda g: (-round(g.weight, 9), g.audience, g.channel),
    )
    return ranked[:count]


def percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def sentence(gap: Gap) -> str:
    """The gap in plain words, e.g. "Partners, your highest-value audience, prefer linkedin
    (0.9) and email (0.7); 8 % of your effort for them goes to Company page (linkedin),
    where their preferences ask for 56 %."."""
    who = "your highest-value audience" if gap.highest_value else f"a {gap.tier}-value audience"
    stated = [(kind, weight) for kind, weight in gap.preferences.items() if weight > 0]
    top = sorted(stated, key=lambda kv: (-kv[1], kv[0]))[:TOP_PREFERENCES]
    liked = " and ".join(f"{kind} ({weight:g})" for kind, weight in top)
    where = f"{gap.channel} ({gap.kind})"
    return (
        f"{gap.audience}, {who}, prefer {liked}; {percent(gap.effort_share)} of your effort "
        f"for them goes to {where}, where their preferences ask for {percent(gap.desired_share)}."
    )
