"""Causal-lift benchmark: five years of daily data with five controls, against raw SQL.

Run with ``.venv/bin/python -m bench.causal`` (``bench.run`` runs it after the
others; ``--no-causal`` skips it there). Like the other benchmarks it creates a
throwaway PostgreSQL database ``bench_<random>`` on the server named by
``BENCH_DATABASE_URL``, migrates it, measures in-process and drops the database,
also when something fails.

Data, posted through the API: six channels with one ``engagements`` point a day
for five years (1,826 days), the first channel's series following the other five
(a shared season and trend, a weekly pattern, noise) with an effect in its last 90
days. Measured: ``GET …/reports/causal-lift`` of the first channel over those 90
days with the default pre-period of the 1,736 days before (its default controls:
the five other channels), against the raw grouped query of the same six series
run with psycopg (rows fetched). Medians of ``--rounds`` calls each after a warm-up,
interleaved; nothing here passes or fails on time (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import date, timedelta

import numpy as np
import psycopg

from bench.common import environment, psycopg_url, quiet_app, table, throwaway_database
from tests.factories import Factory

FIRST, DAYS, PERIOD = date(2022, 1, 1), 1826, 90
CONTROLS = 5
ROUNDS = 5
METRIC = "engagements"

RAW_SERIES = """
SELECT channel_id, day, sum(value)
FROM metric_points
WHERE organisation_id = %s AND metric_key = %s AND day BETWEEN %s AND %s
  AND (content_item_id IS NULL OR source <> 'sync')
GROUP BY channel_id, day
"""


def series(rng: np.random.Generator) -> np.ndarray:
    """Six columns: the measured channel, then its five controls."""
    t = np.arange(DAYS)
    season = 30 * np.sin(2 * np.pi * t / 365.25) + 0.02 * t
    week = np.tile([0, 3, 5, 6, 4, -8, -10], DAYS // 7 + 1)[:DAYS]
    controls = [
        100 + 20 * k + season * (1 + 0.1 * k) + week + rng.normal(0, 4, DAYS)
        for k in range(CONTROLS)
    ]
    metric = 40 + 0.3 * sum(controls) / CONTROLS * 3 + rng.normal(0, 4, DAYS)
    metric[-PERIOD:] += 15
    return np.column_stack([metric, *controls])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.causal", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with throwaway_database() as db:
        app = quiet_app(db.settings)
        client = app.test_client()
        org = Factory(db.database).organisation("Bench Causal")
        channels = []
        for n in range(1 + CONTROLS):
            made = client.post(
                org.url("/channels"),
                headers=org.headers,
                json={"kind": "linkedin", "name": f"Page {n + 1}"},
            )
            channels.append(made.get_json()["id"])
        values = series(np.random.default_rng(2026))
        points = [
            {
                "metric_key": METRIC,
                "channel_id": channel,
                "day": (FIRST + timedelta(days=i)).isoformat(),
                "value": round(float(values[i, c]), 1),
            }
            for c, channel in enumerate(channels)
            for i in range(DAYS)
        ]
        for at in range(0, len(points), 10_000):
            response = client.post(
                org.url("/metric-points/batch?atomic=true"),
                headers=org.headers,
                json={"points": points[at : at + 10_000]},
            )
            if response.status_code != 200:
                raise RuntimeError(f"loading points answered {response.status_code}")
        last = FIRST + timedelta(days=DAYS - 1)
        period_from = last - timedelta(days=PERIOD - 1)
        url = org.url(
            f"/reports/causal-lift?metric={METRIC}&channel_id={channels[0]}"
            f"&from={period_from}&to={last}"
        )

        def report() -> dict:
            response = client.get(url, headers=org.headers)
            if response.status_code != 200:
                raise RuntimeError(f"the report answered {response.status_code}")
            return response.get_json()

        raw = psycopg.connect(psycopg_url(db.url), prepare_threshold=None)

        def fetch() -> list:
            return raw.execute(RAW_SERIES, (org.id, METRIC, FIRST, last)).fetchall()

        body = report()
        fetch()
        samples: dict[str, list[float]] = {"causal-lift report": [], "raw SQL fetch": []}
        for _ in range(args.rounds):
            for label, run in (("causal-lift report", report), ("raw SQL fetch", fetch)):
                gc.collect()
                t0 = time.perf_counter()
                run()
                samples[label].append(time.perf_counter() - t0)
        raw.close()
        finished = time.perf_counter()

    medians = {label: statistics.median(s) for label, s in samples.items()}
    print()
    print(f"Clover causal-lift benchmark — {environment(db.server_version)}")
    print(
        f"{DAYS} days × {1 + CONTROLS} series ({len(body['controls'])} controls chosen by "
        f"default), a {PERIOD}-day period, {args.rounds} rounds after a warm-up."
    )
    print()
    table(
        ["what", "median ms", "vs raw SQL"],
        [
            [label, f"{m * 1e3:,.0f}", f"{m / medians['raw SQL fetch']:.0f}x"]
            for label, m in medians.items()
        ],
    )
    print()
    print(f"Report: {body['verdict']}; {body['answer']}")
    print(f"Run: {finished - started:.1f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
