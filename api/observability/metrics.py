"""Clover's Prometheus metrics: one definition each, stable names, bounded labels.

Labels never hold a raw path, an id or a message: an operation is its operationId,
a job kind its function's name, an outcome one of a few words.

Multi-process mode: when ``PROMETHEUS_MULTIPROC_DIR`` is set before the process
starts (gunicorn's workers, ``clover worker``), prometheus_client keeps every value
in a file of that folder and a scrape adds up the files of all processes. Otherwise
the values live in this process's memory (``REGISTRY``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Histogram

# prometheus_client picks file-backed values once, when it is imported; so do we.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "clover_http_requests",
    "HTTP requests answered, by operation, method and status.",
    ("operation", "method", "status"),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "clover_http_request_duration_seconds",
    "Time to answer an HTTP request, by operation.",
    ("operation",),
    registry=REGISTRY,
)
JOBS = Counter(
    "clover_jobs",
    "Jobs run, by queue, kind and outcome (succeeded, failed, retried, stopped).",
    ("queue", "kind", "outcome"),
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "clover_job_duration_seconds",
    "Time a job ran, by queue and kind.",
    ("queue", "kind"),
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "clover_webhook_deliveries",
    "Webhook delivery attempts, by outcome (succeeded, pending: retried later, failed).",
    ("outcome",),
    registry=REGISTRY,
)
PUBLISH_ATTEMPTS = Counter(
    "clover_publish_attempts",
    "Publishing runs of a due item, by network and outcome (published, failed, "
    "needs_reauth, rate_limited, capped: waits for the channel's cap, error).",
    ("network", "outcome"),
    registry=REGISTRY,
)
RATE_LIMIT_REFUSALS = Counter(
    "clover_rate_limit_refusals",
    "Requests refused with 429, by the limit that was used up (caller, organisation, auth).",
    ("limit",),
    registry=REGISTRY,
)


# Outcomes counted while a job runs in RQ's work horse, a process forked for one job:
# held here and handed to the worker process (``workers/worker.py``), which counts them,
# so that multi-process mode keeps one file per worker rather than one per job.
_held: ContextVar[list[tuple[str, tuple[str, ...]]] | None] = ContextVar(
    "clover_metrics_held", default=None
)
HELD_COUNTERS = {
    "clover_webhook_deliveries": WEBHOOK_DELIVERIES,
    "clover_publish_attempts": PUBLISH_ATTEMPTS,
}


@contextmanager
def held() -> Iterator[list[tuple[str, tuple[str, ...]]]]:
    """Within: the outcomes counted are kept in the list given, not counted."""
    counts: list[tuple[str, tuple[str, ...]]] = []
    token = _held.set(counts)
    try:
        yield counts
    finally:
        _held.reset(token)


def count_held(counts: list[tuple[str, tuple[str, ...]]]) -> None:
    """Count what ``held`` kept (in another process)."""
    for name, labels in counts:
        counter = HELD_COUNTERS.get(name)
        if counter is not None:
            counter.labels(*labels).inc()


def _outcome(name: str, *labels: str) -> None:
    counts = _held.get()
    if counts is None:
        HELD_COUNTERS[name].labels(*labels).inc()
    else:
        counts.append((name, labels))


def request_answered(operation: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(operation, method, str(status)).inc()
    REQUEST_SECONDS.labels(operation).observe(seconds)


def job_ran(queue: str, job: str, outcome: str, seconds: float) -> None:
    kind = job.rpartition(".")[2]  # the function's name: rollup_kpis, deliver, publish_item
    JOBS.labels(queue, kind, outcome).inc()
    JOB_SECONDS.labels(queue, kind).observe(seconds)


def webhook_delivered(outcome: str) -> None:
    _outcome("clover_webhook_deliveries", outcome)


def publish_attempted(network: str, outcome: str) -> None:
    _outcome("clover_publish_attempts", network, outcome)


def rate_limit_refused(limit: str) -> None:
    RATE_LIMIT_REFUSALS.labels(limit).inc()
