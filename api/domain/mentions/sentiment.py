"""Sentiment of a mention's text: VADER, a lexicon- and rule-based analyser.

VADER (Hutto & Gilbert, 2014) is tuned for short social media text (slang,
emphasis, negation, emoji) and runs offline: its lexicon ships inside the
``vaderSentiment`` package, so nothing is downloaded at run time. The score is
its *compound* score, normalised to [-1, 1].

Labels use VADER's own recommended thresholds: a compound score of 0.05 or
more is positive, -0.05 or less negative, anything between neutral.
"""

from __future__ import annotations

import math
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_FROM = 0.05
NEGATIVE_FROM = -0.05


@cache
def _analyser() -> SentimentIntensityAnalyzer:
    # Reads the lexicon files once (~20 ms), on first use rather than at import.
    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """The sentiment of ``text`` in [-1, 1] (VADER's compound score); 0 for empty text."""
    if not text or not text.strip():
        return 0.0
    return float(_analyser().polarity_scores(text)["compound"])


def label(value: float) -> str:
    """positive (≥ 0.05), negative (≤ -0.05) or neutral."""
    if math.isnan(value):
        raise ValueError("a sentiment score is a number")
    if value >= POSITIVE_FROM:
        return "positive"
    if value <= NEGATIVE_FROM:
        return "negative"
    return "neutral"


def assess(text: str, supplied: float | None = None) -> tuple[float, str]:
    """(score, label) of a mention: a supplied score is kept as given, else ``text`` is scored."""
    value = score(text) if supplied is None else float(supplied)
    return value, label(value)
