"""How ready an organisation is: the Clover architecture's four leaves, weighted.

Culture, leadership and governance are the big leaves; technology the small one.
Overall readiness = 0.3 × culture + 0.3 × leadership + 0.3 × governance
+ 0.1 × technology, on the same 1 to 5 scale as the scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from api.domain.readiness.models import LEAVES

WEIGHTS: Mapping[str, float] = {
    "culture": 0.3,
    "leadership": 0.3,
    "governance": 0.3,
    "technology": 0.1,
}
MIN_SCORE, MAX_SCORE = 1, 5


def check_scores(scores: Mapping[str, int]) -> dict[str, list[str]]:
    return {
        leaf: [f"Must be between {MIN_SCORE} and {MAX_SCORE}."]
        for leaf in LEAVES
        if not MIN_SCORE <= scores[leaf] <= MAX_SCORE
    }


def overall(scores: Mapping[str, int]) -> float:
    return round(sum(WEIGHTS[leaf] * scores[leaf] for leaf in LEAVES), 2)


def weakest(scores: Mapping[str, int]) -> str:
    """The lowest-scoring leaf; on a tie, the one that weighs more (then in LEAVES order)."""
    return min(LEAVES, key=lambda leaf: (scores[leaf], -WEIGHTS[leaf], LEAVES.index(leaf)))


def change(latest: Mapping[str, int], previous: Mapping[str, int] | None) -> dict | None:
    if previous is None:
        return None
    delta = {leaf: latest[leaf] - previous[leaf] for leaf in LEAVES}
    delta["overall"] = round(overall(latest) - overall(previous), 2)
    return delta


def check_assessed_on(assessed_on: date, *, today: date) -> dict[str, list[str]]:
    """An assessment describes a state already seen: one dated later would become "current"."""
    if assessed_on > today:
        return {"assessed_on": [f"Must not be after today ({today.isoformat()})."]}
    return {}
