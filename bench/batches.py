"""Batch benchmark: 500 content items created in one request, against 500 single creates.

Run with ``.venv/bin/python -m bench.batches`` (``make bench`` runs it after the
others). Like ``bench.run`` it creates a throwaway PostgreSQL database
``bench_<random>`` on the server named by ``BENCH_DATABASE_URL``, migrates it, seeds
one organisation through the API, measures in-process with the Flask test client and
drops the database, also when something fails.

Each round creates the same 500 items twice, in a campaign of its own each time: once
with ``POST …/content-items/batch`` and once with 500 ``POST …/content-items``, the
order alternating between rounds so that the table's growth favours neither. It prints
the medians and their ratio; nothing here passes or fails on time (see
docs/performance.md).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

from api.config import Settings
from bench.common import counting, environment, quiet_app, table, throwaway_database
from tests.factories import Factory, Org

YEAR = 2027
ITEMS = 500
ROUNDS = 1  # each round is about 25 s on a small, busy machine; --rounds 3 for steadier figures
WARMUP = 20  # items each way before any timing (imports, caches, first connections)
COUNTED = 50  # single creates in the statement-counting pass (each runs the same statements)
BATCH = "one batch request"
SINGLES = f"{ITEMS} single requests"


def created(response) -> dict:
    if response.status_code != 201:
        raise RuntimeError(
            f"the benchmark's request answered {response.status_code}: {response.data[:500]!r}"
        )
    return response.get_json()


def items(channel_id: str) -> list[dict]:
    """A year's worth of posts, as a planner would send them: channel, title, day, text."""
    first = date(YEAR, 1, 1)
    return [
        {
            "channel_id": channel_id,
            "title": f"Post {n + 1}",
            "due_date": (first + timedelta(days=n % 365)).isoformat(),
            "text": f"Post {n + 1} of the year's plan, with a line of text to publish.",
        }
        for n in range(ITEMS)
    ]


class Bench:
    def __init__(self, client, org: Org) -> None:
        self.client, self.org = client, org
        self.strategy = self.post(
            "/strategies",
            {
                "name": f"Plan {YEAR}",
                "period_start": f"{YEAR}-01-01",
                "period_end": f"{YEAR}-12-31",
            },
        )["id"]
        self.channel = self.post("/channels", {"kind": "linkedin", "name": "Company page"})["id"]
        self.body = items(self.channel)
        self.count = ITEMS
        self.campaigns = 0

    def post(self, path: str, body: dict) -> dict:
        return created(self.client.post(self.org.url(path), headers=self.org.headers, json=body))

    def campaign(self) -> str:
        self.campaigns += 1
        return self.post(
            "/campaigns",
            {
                "strategy_id": self.strategy,
                "name": f"Campaign {self.campaigns}",
                "start_date": f"{YEAR}-01-01",
                "end_date": f"{YEAR}-12-31",
                "channel_ids": [self.channel],
            },
        )["id"]

    def batch(self, campaign: str) -> None:
        body = {"items": self.body[: self.count]}
        made = self.post(f"/campaigns/{campaign}/content-items/batch", body)
        if len(made["items"]) != self.count:
            raise RuntimeError(f"the batch created {len(made['items'])} items")

    def singles(self, campaign: str) -> None:
        for item in self.body[: self.count]:
            self.post(f"/campaigns/{campaign}/content-items", item)


def timed(run: Callable[[str], None], campaign: str) -> float:
    gc.collect()
    started = time.perf_counter()
    run(campaign)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.batches", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    started = time.perf_counter()
    with throwaway_database() as db:
        # 500 single creates in a few seconds would meet the per-caller rate limit (600 a
        # minute by default): what is measured is the work, so the limits are off.
        unlimited = Settings.build(**{**db.settings.model_dump(), "rate_limits": "off"})
        app = quiet_app(unlimited)
        bench = Bench(app.test_client(), Factory(db.database).organisation("Bench Batches"))
        ways = {BATCH: bench.batch, SINGLES: bench.singles}
        bench.count = WARMUP
        for run in ways.values():
            run(bench.campaign())
        bench.count = ITEMS
        samples: dict[str, list[float]] = {label: [] for label in ways}
        for round_ in range(args.rounds):
            order = list(ways) if round_ % 2 == 0 else list(reversed(ways))
            for label in order:
                samples[label].append(timed(ways[label], bench.campaign()))
        # Counted in a pass of its own, so the listener costs the timings nothing; the
        # single creates over COUNTED of them, scaled to ITEMS.
        statements: dict[str, int] = {}
        with counting(db.database.engine) as counts:
            for label, run, count in (
                (BATCH, bench.batch, ITEMS),
                (SINGLES, bench.singles, COUNTED),
            ):
                bench.count = count
                campaign = bench.campaign()
                counts["statements"] = 0
                run(campaign)
                statements[label] = counts["statements"] * ITEMS // count
        finished = time.perf_counter()

    medians = {label: statistics.median(values) for label, values in samples.items()}
    batch, singles = medians[BATCH], medians[SINGLES]
    print()
    print(f"Clover batch benchmark — {environment(db.server_version)}")
    print(
        f"Creating {ITEMS} content items in a campaign (channel, title, due date, text), "
        f"{args.rounds} round(s) after a warm-up of {WARMUP} each way, each way in a fresh "
        "campaign, order alternating; rate limits off."
    )
    print()
    table(
        ["way", "rounds", "median ms", "ms per item", "SQL statements", "vs one batch"],
        [
            [
                label,
                str(len(samples[label])),
                f"{medians[label] * 1e3:,.0f}",
                f"{medians[label] * 1e3 / ITEMS:.2f}",
                f"{statements[label]:,}",
                "1.0 (baseline)" if label == BATCH else f"{medians[label] / batch:.1f}",
            ]
            for label in ways
        ],
    )
    print()
    print(f"{ITEMS} single creates take {singles / batch:.1f}x the time of one batch of {ITEMS}.")
    print(f"Run: {finished - started:.1f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
