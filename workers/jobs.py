"""RQ jobs. Each takes ids and primitives, runs domain code, and is safe to run twice.

A tracked job (one with a Job row) begins with ``begin_attempt`` (a late duplicate
of a finished job stops there), beats its heartbeat while it runs, and on an error
RQ will retry is marked ``interrupted`` until the retry begins.
"""

from __future__ import annotations

import uuid

from rq import get_current_job

from api.domain.competitors import service as competitors
from api.domain.content_items import imports as content_imports
from api.domain.jobs import service as jobs
from api.domain.key_messages import matching
from api.domain.kpis import rollups
from api.domain.metrics import imports
from api.domain.organisations import service as organisations
from workers import runtime
from workers.heartbeat import heartbeat


def refresh_member_count(organisation_id: str) -> int:
    with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
        return organisations.refresh_member_count(uow=uow)


def rematch_competitor_mentions(organisation_id: str) -> int:
    """Match the organisation's competitor mentions to its competitors' current handles and
    keywords (a competitor given by the caller stays); returns how many changed."""
    with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
        return competitors.rematch_mentions(uow=uow)


def _retrying() -> bool:
    current = get_current_job()
    return bool(current is not None and current.retries_left)


def _begin(organisation: uuid.UUID, job: uuid.UUID) -> bool:
    with runtime.unit_of_work(organisation) as uow:
        return jobs.begin_attempt(uow=uow, job_id=job) is not None


def _interrupt(organisation: uuid.UUID, job: uuid.UUID) -> None:
    with runtime.unit_of_work(organisation) as uow:
        jobs.interrupt_job(uow=uow, job_id=job)


def rollup_kpis(organisation_id: str, full: bool = False, job_id: str | None = None) -> dict:
    """Bring an organisation's KPI values up to date; with ``job_id``, report on that Job."""
    organisation = uuid.UUID(organisation_id)
    tracked = uuid.UUID(job_id) if job_id else None
    if tracked and not _begin(organisation, tracked):
        return {"skipped": "the job has finished"}
    try:
        with heartbeat(organisation, tracked), runtime.unit_of_work(organisation) as uow:
            result = rollups.run_rollup(uow=uow, full=full)
    except Exception:
        if tracked and _retrying():
            _interrupt(organisation, tracked)
        elif tracked:
            # The tenant reads this: no SQL, no traceback, no internal names (RQ logs those).
            with runtime.unit_of_work(organisation) as uow:
                jobs.finish_job(
                    uow=uow,
                    job_id=tracked,
                    counts={},
                    error="the rollup stopped unexpectedly; it was logged",
                )
        raise
    counts = {
        "kpis": result.kpis,
        "values": result.values,
        "status_changes": result.status_changes,
        "skipped_kpis": len(result.skipped),
    }
    if tracked:
        with runtime.unit_of_work(organisation) as uow:
            # Each KPI left out is listed with its reason under …/jobs/{id}/errors.
            jobs.record_errors(
                uow=uow,
                job_id=tracked,
                errors=[(n, why) for n, (_, why) in enumerate(result.skipped, 1)],
            )
            jobs.finish_job(uow=uow, job_id=tracked, counts=counts)
    return counts


def import_metric_points(organisation_id: str, job_id: str) -> dict:
    """Read an uploaded CSV into metric points, reporting on its Job (safe to run twice).

    An unexpected error leaves the job interrupted for RQ's retry, which resumes at
    the last checkpoint; on the last attempt (or in-process) the job is marked failed.
    """
    return _run_import(imports, organisation_id, job_id)


def import_content_items(organisation_id: str, job_id: str) -> dict:
    """Read an uploaded CSV of planned posts into content items, as ``import_metric_points``
    does (its writing pass is one transaction: a retry writes the file from the start)."""
    return _run_import(content_imports, organisation_id, job_id)


def _run_import(kind, organisation_id: str, job_id: str) -> dict:
    """One run of an import job of ``kind`` (a module with run_import and fail_import)."""
    organisation, job = uuid.UUID(organisation_id), uuid.UUID(job_id)
    try:
        begun = _begin(organisation, job)
        # A finished job is not begun again; run_import then only tidies its file.
        with (
            heartbeat(organisation, job if begun else None),
            runtime.unit_of_work(organisation) as uow,
        ):
            return kind.run_import(uow=uow, job_id=job).counts
    except Exception as error:
        if _retrying():
            _interrupt(organisation, job)
            raise
        with runtime.unit_of_work(organisation) as uow:
            kind.fail_import(
                uow=uow,
                job_id=job,
                error=f"the import stopped unexpectedly ({type(error).__name__}); it was logged",
            )
        raise


def rematch_key_message(organisation_id: str, key_message_id: str) -> dict | None:
    """Re-link a key message's history after its phrases changed (safe to run twice)."""
    with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
        return matching.rematch(uow=uow, key_message_id=uuid.UUID(key_message_id))
