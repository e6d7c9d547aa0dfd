"""The pure rules of the audience × channel fit: shares, scores, ranking, sentences."""

from decimal import Decimal

import pytest

from api.domain.reports import fit_scores
from api.domain.reports.figures import Figure

KINDS = {"li": "linkedin", "em": "email", "x": "x"}


def gap(**fields) -> fit_scores.Gap:
    return fit_scores.Gap(
        **{
            "audience": "Partners",
            "tier": "strategic",
            "highest_value": True,
            "preferences": {"linkedin": 0.9, "email": 0.7, "x": 0.1},
            "channel": "Company page",
            "kind": "linkedin",
            "effort_share": 0.08,
            "desired_share": 0.5625,
            "weight": 0.4825,
            **fields,
        }
    )


def test_value_tiers_are_numbers_from_a_quarter_to_one():
    assert [fit_scores.value_weight(t) for t in ("low", "medium", "high", "strategic")] == [
        0.25,
        0.5,
        0.75,
        1.0,
    ]


def test_desired_shares_are_preferences_over_their_sum():
    shares = fit_scores.desired_shares({"li": 0.9, "em": 0.7, "x": None}, KINDS)

    assert shares["li"].value == pytest.approx(0.5625)
    assert shares["em"].value == pytest.approx(0.4375)
    assert shares["x"] == Figure(None, "the audience states no preference for x")


def test_preferences_that_are_all_zero_ask_for_nothing():
    shares = fit_scores.desired_shares({"li": 0.0, "x": None}, KINDS)

    assert shares["li"] == Figure(None, fit_scores.NO_PREFERENCES)


def test_effort_share_is_the_mean_of_spend_and_hours_shares():
    shares = fit_scores.effort_shares(
        {"li": Decimal(300), "em": Decimal(100)}, {"li": 1.0, "em": 3.0}
    )

    assert shares["li"].value == pytest.approx((0.75 + 0.25) / 2)
    assert shares["em"].value == pytest.approx((0.25 + 0.75) / 2)


def test_effort_share_uses_hours_alone_when_nothing_is_spent():
    shares = fit_scores.effort_shares({"li": Decimal(0)}, {"li": 2.0, "em": 6.0})

    assert (shares["li"].value, shares["em"].value) == (0.25, 0.75)


def test_no_effort_at_all_has_no_share():
    shares = fit_scores.effort_shares({"li": Decimal(0)}, {"li": 0.0})

    assert shares["li"] == Figure(None, fit_scores.NO_EFFORT)


def test_fit_score_is_effort_minus_desired():
    assert fit_scores.fit_score(effort=Figure(0.08), desired=Figure(0.5)).value == pytest.approx(
        -0.42
    )


def test_fit_score_takes_the_reason_of_the_missing_share():
    desired = Figure(None, "the audience states no preference for x")

    assert fit_scores.fit_score(effort=Figure(0.2), desired=desired) == desired
    assert fit_scores.fit_score(effort=Figure(None, "none"), desired=Figure(0.5)).reason == "none"


def test_a_gap_weighs_more_for_a_more_valuable_audience():
    fit = Figure(-0.4)

    assert fit_scores.mismatch_weight(fit=fit, weight=1.0) == pytest.approx(0.4)
    assert fit_scores.mismatch_weight(fit=fit, weight=0.25) == pytest.approx(0.1)
    assert fit_scores.mismatch_weight(fit=Figure(None, "x"), weight=1.0) == 0


def test_the_largest_gaps_come_first_and_zero_gaps_are_left_out():
    gaps = [
        gap(channel="B", weight=0.1),
        gap(channel="A", weight=0.3),
        gap(channel="C", weight=0.0),
        gap(channel="D", weight=0.3 + 1e-12),  # ties with A on paper
    ]

    assert [g.channel for g in fit_scores.largest(gaps)] == ["A", "D", "B"]
    assert [g.channel for g in fit_scores.largest(gaps, count=1)] == ["A"]


def test_the_sentence_names_the_audience_its_preferences_and_the_channel():
    assert fit_scores.sentence(gap()) == (
        "Partners, your highest-value audience, prefer linkedin (0.9) and email (0.7); "
        "8 % of your effort for them goes to Company page (linkedin), where their "
        "preferences ask for 56 %."
    )


def test_the_sentence_gives_the_tier_of_an_audience_that_is_not_the_most_valuable():
    said = fit_scores.sentence(gap(highest_value=False, tier="low", audience="Students"))

    assert said.startswith("Students, a low-value audience, prefer")


def test_the_sentence_names_only_preferences_above_zero():
    said = fit_scores.sentence(gap(preferences={"linkedin": 0.9, "x": 0.0}))

    assert "prefer linkedin (0.9); " in said
