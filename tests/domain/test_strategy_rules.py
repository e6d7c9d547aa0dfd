from datetime import date

import pytest

from api.domain.readiness import rules as readiness
from api.domain.strategies import rules
from api.domain.strategies.rules import Readiness


def test_a_complete_strategy_has_no_activation_gaps():
    assert rules.activation_gaps(Readiness(2, (), 1, 1)) == {}


def test_every_missing_precondition_is_listed_at_once():
    gaps = rules.activation_gaps(Readiness(0, (), 0, 0))

    assert set(gaps) == {"objectives", "audiences", "resources"}


def test_objectives_without_kpis_are_named():
    gaps = rules.activation_gaps(Readiness(2, ("Loyalty",), 1, 1))

    assert list(gaps) == ["kpis"]
    assert "Loyalty" in gaps["kpis"][0]


def test_titles_without_kpis():
    assert rules.titles_without_kpis([("A", 0), ("B", 2), ("C", 0)]) == ("A", "C")


def test_a_period_may_be_one_day_but_not_backwards():
    assert rules.check_period(date(2027, 1, 1), date(2027, 1, 1)) == {}
    assert "period_end" in rules.check_period(date(2027, 1, 2), date(2027, 1, 1))


SCORES = {"culture": 4, "leadership": 3, "governance": 2, "technology": 5}


def test_big_leaves_weigh_more_than_technology():
    assert readiness.overall(SCORES) == pytest.approx(0.3 * 4 + 0.3 * 3 + 0.3 * 2 + 0.1 * 5)
    strong_tech = {"culture": 2, "leadership": 2, "governance": 2, "technology": 5}
    strong_culture = {"culture": 5, "leadership": 2, "governance": 2, "technology": 2}
    assert readiness.overall(strong_culture) > readiness.overall(strong_tech)


def test_weakest_leaf_prefers_the_heavier_on_a_tie():
    assert readiness.weakest(SCORES) == "governance"
    assert readiness.weakest({**SCORES, "technology": 2}) == "governance"
    assert readiness.weakest({**SCORES, "technology": 1}) == "technology"


def test_change_since_previous_assessment():
    previous = {"culture": 3, "leadership": 3, "governance": 3, "technology": 3}

    delta = readiness.change(SCORES, previous)

    assert delta["culture"] == 1 and delta["governance"] == -1
    assert delta["overall"] == pytest.approx(readiness.overall(SCORES) - 3.0)
    assert readiness.change(SCORES, None) is None


def test_scores_outside_one_to_five_are_refused():
    assert set(readiness.check_scores({**SCORES, "culture": 0, "technology": 6})) == {
        "culture",
        "technology",
    }
