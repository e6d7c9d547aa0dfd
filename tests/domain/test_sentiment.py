"""Sentiment of mention text: VADER's compound score and its usual thresholds."""

import pytest

from api.domain.mentions import sentiment


def test_a_clearly_positive_sentence_scores_positive():
    value = sentiment.score("I love the new Acme drill, it is fantastic and works great!")

    assert value >= 0.5
    assert sentiment.label(value) == "positive"


def test_a_clearly_negative_sentence_scores_negative():
    value = sentiment.score("Terrible support from Acme. I hate waiting, worst service ever.")

    assert value <= -0.5
    assert sentiment.label(value) == "negative"


def test_a_plain_statement_is_neutral():
    value = sentiment.score("The Acme store opens at nine on Tuesday.")

    assert value == 0.0
    assert sentiment.label(value) == "neutral"


def test_negation_is_understood():
    assert sentiment.score("The delivery was not good") < 0


def test_empty_text_is_neutral():
    assert sentiment.score("   ") == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "positive"),
        (0.05, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (-1.0, "negative"),
    ],
)
def test_labels_follow_vaders_thresholds(value, expected):
    assert sentiment.label(value) == expected


def test_a_supplied_score_is_kept_as_given():
    value, label = sentiment.assess("I love it, best purchase ever!", supplied=-0.3)

    assert (value, label) == (-0.3, "negative")


def test_without_a_supplied_score_the_text_is_scored():
    value, label = sentiment.assess("I love it, best purchase ever!")

    assert value == sentiment.score("I love it, best purchase ever!")
    assert label == "positive"
