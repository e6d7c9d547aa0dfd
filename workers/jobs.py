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

# The queue ids of key-message re-matches queued before they had Job rows
# (``rematch-<message>-<phrases>``); new ones are ``job-<id>``.
UNTRACKED_REMATCH = "rematch-"


def refresh_member_count(organisation_id: str) -> int:
    with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
        return organisations.refresh_member_count(uow=uow)


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


def _run_tracked(organisation_id: str, job_id: str, what: str, work) -> dict:
    """One run of a tracked job whose ``work(uow, params)`` is one transaction and
    returns the job's counts: a run that stops leaves nothing, and the next one starts over."""
    organisation, job = uuid.UUID(organisation_id), uuid.UUID(job_id)
    if not _begin(organisation, job):
        return {"skipped": "the job has finished"}
    try:
        with heartbeat(organisation, job), runtime.unit_of_work(organisation) as uow:
            counts = work(uow, jobs.get_job(uow=uow, job_id=job).params)
            jobs.finish_job(uow=uow, job_id=job, counts=counts)
    except Exception:
        if _retrying():
            _interrupt(organisation, job)
        else:
            # The tenant reads this: no SQL, no traceback, no internal names (RQ logs those).
            with runtime.unit_of_work(organisation) as uow:
                jobs.finish_job(
                    uow=uow,
                    job_id=job,
                    counts={},
                    error=f"{what} stopped unexpectedly; it was logged",
                )
        raise
    return counts


def rematch_key_message(organisation_id: str, job_id: str) -> dict:
    """Re-link a key message's history with the phrases it has when the job runs, reporting
    on its Job: the mentions and published content items that carry it (safe to run twice)."""

    def work(uow, params: dict) -> dict:
        message = uuid.UUID(params["key_message_id"])
        # A message deleted since took its links with it: nothing carries it.
        return matching.rematch(uow=uow, key_message_id=message) or {
            "mentions": 0,
            "content_items": 0,
        }

    current = get_current_job()
    if current is not None and current.id.startswith(UNTRACKED_REMATCH):
        # Queued before re-matches were tracked: its second argument is the message.
        with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
            return work(uow, {"key_message_id": job_id})
    return _run_tracked(organisation_id, job_id, "the re-match", work)


def rematch_competitor_mentions(organisation_id: str, job_id: str | None = None) -> dict:
    """Match the organisation's competitor mentions to its competitors' current handles and
    keywords (a competitor given by the caller stays), reporting how many changed on the
    Job (without ``job_id``, a run queued before re-matches were tracked, only that)."""

    def work(uow, _params: dict | None = None) -> dict:
        return {"changed": competitors.rematch_mentions(uow=uow)}

    if job_id is None:
        with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
            return work(uow)
    return _run_tracked(organisation_id, job_id, "the re-match", work)
