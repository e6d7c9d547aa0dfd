"""A running job's heartbeat: the reconciler (``workers.recovery``) interrupts a job whose
heartbeat is older than ``CLOVER_JOB_STALE_SECONDS``."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import uuid
from collections.abc import Iterator

from rq import get_current_job

from api.domain.jobs import service as jobs
from workers import runtime

log = logging.getLogger("clover.recovery")


@contextlib.contextmanager
def heartbeat(organisation_id: uuid.UUID, job_id: uuid.UUID | None) -> Iterator[None]:
    """Beat the job's heartbeat from a thread while its run goes on.

    Only in an RQ work horse: in-process (the embedded default) nothing watches it.
    The thread has its own sessions, so a long statement of the job does not stop it.
    """
    if job_id is None or get_current_job() is None:
        yield
        return
    every = runtime.settings().job_heartbeat_seconds
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with runtime.unit_of_work(organisation_id) as uow:
                    if not jobs.beat(uow=uow, job_id=job_id):
                        return  # finished (or taken over): nothing left to vouch for
            except Exception:  # a database blip: the next beat may pass
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)

    # In the job's context: a failed beat's line names the job like the job's own lines.
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(beat,), name=f"heartbeat-{job_id}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every)
