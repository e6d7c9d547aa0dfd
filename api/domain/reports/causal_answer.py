"""The causal-lift report in words: its answer and the assumptions its figures rest on."""

from __future__ import annotations

from api.domain.reports import lift
from api.domain.reports.causal_model import MIN_CORRELATION, CausalFit


def answer(name, scope, period, verdict, figures, fit: CausalFit) -> str:
    """ "Did the campaign cause a lift in <metric>?" answered in one sentence."""
    subject = lift.subject_words(name) + scope
    when = f"from {period.start} to {period.end}"
    if verdict == "not_enough_data":
        return f"Not enough to say for {subject} {when}: {fit.reason}"
    effect = figures["absolute_lift"].value
    low, high = figures["absolute_lift_lower"].value, figures["absolute_lift_upper"].value
    rel = figures["relative_lift"].value
    change = lift.figure(abs(effect)) + ("" if rel is None else f" ({_signed(rel)})")
    interval = f"95 % interval {_n(low)} to {_n(high)} a day"
    against = (
        f"{lift.figure(figures['actual'].value)} a day on average {when} against "
        f"{lift.figure(figures['counterfactual'].value)} expected without it"
    )
    chance = figures["probability"].value
    probability = "over 99.9 %" if chance > 0.999 else lift.percentage(chance)
    if verdict == "lift":
        return (
            f"Yes: {subject} rose {change} a day above what was expected without the "
            f"intervention ({against}; {interval}; probability of an effect {probability})."
        )
    if verdict == "drop":
        return (
            f"No lift: {subject} fell {change} a day below what was expected without the "
            f"intervention ({against}; {interval}; probability of an effect {probability})."
        )
    side = "above" if effect >= 0 else "below"
    return (
        f"Not clearly: {subject} {side} what was expected by {change} a day, but the "
        f"{interval} includes no effect ({against}; probability of an effect {probability})."
    )


def _signed(fraction: float) -> str:
    return ("+" if fraction >= 0 else "−") + lift.percentage(fraction)


def _n(x: float) -> str:
    return ("−" if x < 0 else "") + lift.figure(abs(x))


def assumptions(chosen: list, controls_default: bool, adds_up: bool) -> list[str]:
    out = [
        "Without the intervention the metric would have followed a local level with a "
        "fixed day-of-week pattern"
        + (", plus the controls in the same proportions as in the pre-period." if chosen else "."),
        "Nothing else that moved the metric alone happened in the period.",
        "The intervals carry the uncertainty of the level, the day-of-week pattern and "
        "the controls' proportions; the two noise variances are taken at their "
        "estimates, which leaves out a little uncertainty with a short pre-period.",
    ]
    if chosen:
        names = ", ".join(c.name for c in chosen)
        how = (
            f"the organisation's other channels tracking the metric best (correlation at "
            f"least {MIN_CORRELATION})"
            if controls_default
            else "the ones asked for"
        )
        out.insert(1, f"The intervention did not affect the controls ({how}): {names}.")
    else:
        out.insert(
            1,
            "No control tracked the metric: the counterfactual is its pre-period carried "
            "forward, so a season or trend longer than a week counts as effect.",
        )
    if adds_up:
        out.append("A day without points counts as 0.")
    return out
