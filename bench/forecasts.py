"""What forecasting adds to the nightly full rollup, measured in the metrics benchmark's run.

The same full ``run_rollup`` of the rollup organisation (~2 M points, 30 KPIs) with
and without ``forecast``, interleaved, on a ``today`` in the middle of a month and a
quarter (``FORECAST_DAY``): the benchmark's own today is the last day of the year,
where every open period ends that day and nothing is left to forecast. Called by
``bench.metrics.main`` after the rollups; it prints section 4 of its report.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import date

from api.domain.kpis.rollups import run_rollup

FORECAST_DAY = date(2026, 11, 18)  # a Wednesday: day 18 of 30, day 49 of the quarter's 92


def _timed(run: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def forecast_cost(uow_factory: Callable, kpis: int, rounds: int) -> dict:
    """Median seconds of a full rollup with and without forecasts, and the added ratio."""

    def rollup(forecast: bool) -> Callable[[], object]:
        def run():
            with uow_factory() as uow:
                return run_rollup(uow=uow, full=True, today=FORECAST_DAY, forecast=forecast)

        return run

    with_forecasts, without = rollup(True), rollup(False)
    forecasts = with_forecasts().forecasts  # the first forecasts of the periods; not timed
    samples: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(rounds):
        # Alternate which goes first, so drift on the machine favours neither.
        order = (True, False) if round_ % 2 == 0 else (False, True)
        for forecast in order:
            samples[forecast].append(_timed(with_forecasts if forecast else without))
    plain = statistics.median(samples[False])
    forecasting = statistics.median(samples[True])
    result = {
        "kpis": kpis,
        "forecasts": forecasts,
        "rounds": rounds,
        "without_s": plain,
        "with_s": forecasting,
        "added_ratio": (forecasting - plain) / plain,
    }
    print()
    print(
        f"4. Forecasts in the full rollup: today = {FORECAST_DAY}, {forecasts} open periods of"
        f" {kpis} KPIs forecast (one model fit each, two for a ratio); median of {rounds}"
        " interleaved rounds."
    )
    print(
        f"full rollup without forecasts {plain * 1e3:,.0f} ms, with {forecasting * 1e3:,.0f} ms:"
        f" forecasting adds {result['added_ratio']:.2f}× the rollup's own time"
        f" ({(forecasting - plain) / max(forecasts, 1) * 1e3:,.0f} ms per forecast)."
    )
    return result
