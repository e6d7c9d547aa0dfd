"""A scrape merges its sources into one family per name, adding up a series two sources
share (this process's memory and the multi-process folder of the workers)."""

from prometheus_client.core import CounterMetricFamily

from api.observability.exposition import merged


def counter(value: float, created: float, queue: str = "rollups") -> CounterMetricFamily:
    family = CounterMetricFamily("clover_jobs", "Jobs run.", labels=["queue"], created=created)
    family.add_metric([queue], value, created=created)
    return family


def test_a_series_in_two_sources_is_added_up_and_keeps_its_first_creation():
    [family] = merged([counter(2, created=200.0), counter(3, created=100.0)])

    samples = {(s.name, s.labels["queue"]): s.value for s in family.samples}
    assert samples == {
        ("clover_jobs_total", "rollups"): 5,
        ("clover_jobs_created", "rollups"): 100.0,
    }


def test_other_series_of_the_same_name_stay_apart():
    [family] = merged([counter(2, 1.0), counter(3, 1.0, queue="webhooks")])

    totals = {s.labels["queue"]: s.value for s in family.samples if s.name.endswith("_total")}
    assert totals == {"rollups": 2, "webhooks": 3}
