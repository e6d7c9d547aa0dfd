"""Did the intervention cause the change? A structural time series counterfactual.

What the metric would have done after the intervention without it is forecast
from its own pre-period and from control series the intervention did not touch,
as Google's CausalImpact does: a local level, a weekly season (fixed day-of-week
effects) and the controls as regressors (``statsmodels``' ``UnobservedComponents``)
are fitted on the pre-period by maximum likelihood; the post-period counterfactual
is then forecast with the controls' *actual* post-period values, so what moved the
controls (a season, a trend, a holiday) moves the counterfactual too.

Uncertainty is had by simulation: ``SIMULATIONS`` paths of the post-period are
drawn from the fitted model's predictive distribution (the state at the end of the
pre-period drawn from its filtered distribution, then state and observation noise),
seeded, so a report is deterministic. The 95 % intervals of the cumulative effect
are the 2.5 and 97.5 percentiles of actual sum − simulated sum.

The controls' coefficients are part of the state (``mle_regression=False``), not
parameters: the Kalman filter estimates them from a diffuse start, and each
simulated path draws them, with the level and the season, from their joint filtered
distribution at the end of the pre-period. So the paths carry the coefficients'
uncertainty, which is what widens most with a short pre-period and controls that
drift in the post-period (an error in a coefficient times the drift, summed over the
days). Only the two noise variances are taken at their maximum-likelihood estimates
(not drawn from a posterior, as CausalImpact's Bayesian fit does). On the
validation's simulations (70 pre-period days, 21 post-period days, N = 100 each) the
95 % interval covers the true effect 97 % of the time and an effect is claimed where
there is none 4 % of the time. Tried and dropped: coefficients as estimated
parameters plugged in (92 % and 10 %: too narrow); all parameters drawn from their
estimates' asymptotic distribution (100 % and 2 %: too wide, the numerical Hessian
being loose on the variances); the plug-in paths scaled by the held-out last two
weeks' one-step error spread (91 % and 11 %: one-step errors barely show what the
coefficients' error does to a three-week sum).

The probability of a causal effect is 1 − p, where p is the two-sided share of
simulated counterfactual sums at least as far out as the actual sum
(2 × min(share below, share above)). CausalImpact reports min(…) without the factor
2; with it, "probability above 0.95" and "the interval excludes 0" say the same.

Numbers are refused (``CausalFit.reason``) rather than given when they would be
confident nonsense: see ``MIN_PRE_DAYS``, ``MIN_CORRELATION`` and ``causal_fit``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

SIMULATIONS = 1000
SEED = 20261202
WEEK = 7
# The pre-period must hold at least three weeks (to learn the weekly season and the
# noise) and be at least as long as the post-period (a forecast far longer than
# what it was learnt from is mostly its uncertainty).
MIN_PRE_DAYS = 3 * WEEK
# A control given by the user must track the metric in the pre-period: Pearson
# correlation at least this (in absolute value), or the report says so instead.
MIN_CORRELATION = 0.5
LEVEL = 0.95


@dataclass(frozen=True)
class Effect:
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class CausalFit:
    """Figures of a fit, or ``reason`` (and no figures) when there are none to give."""

    reason: str | None = None
    # Post-period sums: actual, counterfactual (mean of the simulations).
    actual_sum: float | None = None
    counterfactual_sum: float | None = None
    absolute: Effect | None = None  # cumulative effect: actual − counterfactual
    relative: Effect | None = None  # cumulative effect / counterfactual sum
    relative_reason: str | None = None
    probability: float | None = None  # of a causal effect, 1 − two-sided p
    p_value: float | None = None
    # Every day of pre + post: in the pre-period the one-step-ahead prediction.
    predicted: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    correlations: tuple[float, ...] = ()  # each control's pre-period correlation

    @classmethod
    def refused(cls, reason: str, correlations: tuple[float, ...] = ()) -> CausalFit:
        return cls(reason=reason, correlations=correlations)


def correlations(y: np.ndarray, x: np.ndarray | None) -> tuple[float, ...]:
    """Each column of ``x``'s Pearson correlation with ``y`` (0 for a constant column)."""
    if x is None or x.shape[1] == 0:
        return ()
    out = []
    for column in x.T:
        if np.std(column) == 0 or np.std(y) == 0:
            out.append(0.0)
        else:
            out.append(float(np.corrcoef(y, column)[0, 1]))
    return tuple(out)


def causal_fit(
    y_pre: np.ndarray,
    y_post: np.ndarray,
    x_pre: np.ndarray | None = None,
    x_post: np.ndarray | None = None,
    *,
    control_names: tuple[str, ...] | None = None,
    seed: int = SEED,
    simulations: int = SIMULATIONS,
) -> CausalFit:
    """Fit on the pre-period, forecast the post-period, compare with what happened.

    ``x_pre``/``x_post``: controls, one column each (days × controls), or None.
    """
    y_pre, y_post = np.asarray(y_pre, float), np.asarray(y_post, float)
    if x_pre is not None and x_pre.shape[1] == 0:
        x_pre = x_post = None
    if len(y_pre) < MIN_PRE_DAYS or len(y_pre) < len(y_post):
        return CausalFit.refused(
            f"The pre-period has {len(y_pre)} days; it needs at least {MIN_PRE_DAYS} and at "
            f"least as many as the period ({len(y_post)})."
        )
    if len(y_post) == 0:
        return CausalFit.refused("The period has no days.")
    if not np.all(np.isfinite(y_pre)) or not np.all(np.isfinite(y_post)):
        return CausalFit.refused("The metric has days without data; it needs a value every day.")
    if x_pre is not None and not (np.all(np.isfinite(x_pre)) and np.all(np.isfinite(x_post))):
        return CausalFit.refused("A control has days without data; it needs a value every day.")
    if np.std(y_pre) == 0:
        return CausalFit.refused(
            "The metric is constant in the pre-period: nothing to learn a counterfactual from."
        )
    corr = correlations(y_pre, x_pre)
    names = control_names or tuple(f"control {i + 1}" for i in range(len(corr)))
    weak = [f"{n} ({r:.2f})" for n, r in zip(names, corr, strict=True) if abs(r) < MIN_CORRELATION]
    if weak:
        return CausalFit.refused(
            "Controls that track the metric badly in the pre-period (correlation below "
            f"{MIN_CORRELATION}): {', '.join(weak)}.",
            corr,
        )
    try:
        return _fit(y_pre, y_post, x_pre, x_post, corr, seed=seed, simulations=simulations)
    except (np.linalg.LinAlgError, ValueError) as error:
        return CausalFit.refused(f"The model could not be fitted ({error}).", corr)


def _fit(y_pre, y_post, x_pre, x_post, corr, *, seed, simulations) -> CausalFit:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    # Standardised on the pre-period (as CausalImpact does): the optimiser starts
    # from the same scale whatever the metric's unit.
    mean, std = float(np.mean(y_pre)), float(np.std(y_pre))
    exog_pre = exog_post = None
    if x_pre is not None:
        x_mean, x_std = x_pre.mean(axis=0), x_pre.std(axis=0)
        x_std[x_std == 0] = 1.0
        exog_pre, exog_post = (x_pre - x_mean) / x_std, (x_post - x_mean) / x_std
    model = UnobservedComponents(
        (y_pre - mean) / std,
        level="llevel",
        seasonal=WEEK,
        stochastic_seasonal=False,
        exog=exog_pre,
        mle_regression=False,  # coefficients in the state: see the module
    )
    with warnings.catch_warnings():
        # Convergence warnings on short or easy series; the checks below catch a fit
        # whose numbers are not usable.
        warnings.simplefilter("ignore")
        result = model.fit(disp=False, maxiter=200)
    if not np.all(np.isfinite(result.params)):
        return CausalFit.refused("The model could not be fitted (no finite estimate).", corr)
    rng = np.random.default_rng(seed)
    paths = result.simulate(
        len(y_post), anchor="end", repetitions=simulations, exog=exog_post, rng=rng
    )
    paths = np.asarray(paths).reshape(len(y_post), simulations) * std + mean
    in_sample = result.get_prediction()
    pre_mean = np.asarray(in_sample.predicted_mean) * std + mean
    pre_band = np.asarray(in_sample.conf_int(alpha=1 - LEVEL)) * std + mean
    if not np.all(np.isfinite(paths)):
        return CausalFit.refused("The model could not be fitted (its forecast diverges).", corr)

    tail = (1 - LEVEL) / 2 * 100
    sums = paths.sum(axis=0)
    actual = float(y_post.sum())
    effects = actual - sums
    absolute = Effect(
        float(actual - sums.mean()),
        float(np.percentile(effects, tail)),
        float(np.percentile(effects, 100 - tail)),
    )
    relative, relative_reason = None, None
    if np.all(sums > 0):
        ratios = effects / sums
        relative = Effect(
            absolute.value / float(sums.mean()),
            float(np.percentile(ratios, tail)),
            float(np.percentile(ratios, 100 - tail)),
        )
    else:
        relative_reason = "The counterfactual total can be 0 or below: no share of it to give."
    below, above = np.mean(sums < actual), np.mean(sums > actual)
    p_value = float(min(1.0, 2 * min(below, above) + 1 / (simulations + 1)))
    return CausalFit(
        actual_sum=actual,
        counterfactual_sum=float(sums.mean()),
        absolute=absolute,
        relative=relative,
        relative_reason=relative_reason,
        probability=1 - p_value,
        p_value=p_value,
        predicted=np.concatenate([pre_mean, paths.mean(axis=1)]),
        lower=np.concatenate([pre_band[:, 0], np.percentile(paths, tail, axis=1)]),
        upper=np.concatenate([pre_band[:, 1], np.percentile(paths, 100 - tail, axis=1)]),
        correlations=corr,
    )


def claims_effect(fit: CausalFit) -> bool:
    """The report says there is an effect: its 95 % interval excludes 0."""
    return fit.absolute is not None and (fit.absolute.lower > 0 or fit.absolute.upper < 0)
