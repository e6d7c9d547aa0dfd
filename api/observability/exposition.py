"""A scrape: the counts of every process that writes them, and the queues' depths now.

Three sources, merged into one family per name:

- this process's memory, unless it runs in multi-process mode (its values are then
  in the folder, and reading both would count them twice);
- the folder of ``PROMETHEUS_MULTIPROC_DIR``, when the app knows one: gunicorn's
  workers and ``clover worker`` processes write there, so one scrape of any API
  process sees the jobs too (an API served by one process, with workers beside it,
  reads the workers' files the same way);
- the depth of each queue, read from Redis at scrape time (a gauge no process owns).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.samples import Sample

from api.observability import metrics

__all__ = ["CONTENT_TYPE_LATEST", "merged", "scrape"]
log = logging.getLogger("clover.metrics")


def _queue_depths(depths: Callable[[], dict[str, int]]) -> Iterable[Metric]:
    try:
        counted = depths()
    except Exception as error:  # Redis down: the scrape still answers, without depths
        log.warning("queue depths not read: %s", error)
        return []
    family = GaugeMetricFamily(
        "clover_queue_depth", "Jobs waiting in each queue, read at scrape time.", labels=["queue"]
    )
    for queue, depth in sorted(counted.items()):
        family.add_metric([queue], depth)
    return [family]


def merged(families: Iterable[Metric]) -> list[Metric]:
    """One family per name; samples of the same series in two sources are added up."""
    merged: dict[str, Metric] = {}
    values: dict[str, dict[tuple, Sample]] = {}
    for family in families:
        if family.name not in merged:
            merged[family.name] = Metric(family.name, family.documentation, family.type)
            values[family.name] = {}
        series = values[family.name]
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            known = series.get(key)
            if known is None:
                series[key] = sample
            elif sample.name.endswith("_created"):
                series[key] = known if known.value <= sample.value else sample
            else:
                series[key] = known._replace(value=known.value + sample.value)
    for name, family in merged.items():
        family.samples = list(values[name].values())
    return list(merged.values())


class _Scrape:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def scrape(directory: str | None, depths: Callable[[], dict[str, int]] | None) -> bytes:
    """The text exposition of every source (see the module's docstring)."""
    families: list[Metric] = []
    if not metrics.MULTIPROCESS:
        families += metrics.REGISTRY.collect()
    if directory and not os.path.isdir(directory):
        log.warning(
            "PROMETHEUS_MULTIPROC_DIR %s is not a folder: its processes are not read", directory
        )
    elif directory:
        files = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(files, path=directory)
        families += files.collect()
    if depths is not None:
        families += _queue_depths(depths)
    return generate_latest(_Scrape(merged(families)))
