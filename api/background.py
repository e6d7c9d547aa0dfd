"""Periodic work of the embedded default: no RQ scheduler runs there, so a thread does.

`clover serve` without REDIS_URL starts a ``Sweeper``: every minute it runs the
publishing sweep in-process, the job ``clover worker``'s scheduler runs, so a
scheduled content item goes out within a minute of its time. The job is named by
its path and resolved when it runs (the API never imports the workers).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from api.config import Settings
from api.jobs import InProcessDispatcher

SWEEP_JOB = "workers.publish.sweep_publishing"
EVERY_SECONDS = 60.0
log = logging.getLogger("clover.background")


class Sweeper:
    def __init__(self, settings: Settings, every: float = EVERY_SECONDS) -> None:
        self.jobs = InProcessDispatcher(settings)
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: datetime | None = None) -> object:
        """One sweep, as of ``now`` (the clock by default): what is due is published."""
        return self.jobs.enqueue("publish", SWEEP_JOB, False, None, now and now.isoformat())

    def start(self) -> Sweeper:
        self._thread = threading.Thread(target=self._loop, name="clover-sweeper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.run_once()
            except Exception:  # the database is away: the next round tries again
                log.exception("the in-process publishing sweep failed")
