"""CSV imports of metric points: checked and stored when uploaded, read by a job.

``start_import`` checks the mapping and the header row, stores the upload and
queues ``import_metric_points`` after commit. The job calls ``run_import``:

- a file that is not UTF-8 fails the job before any row is written;
- rows are read one at a time (never the whole file) in chunks; each invalid row
  is listed as a job error under its CSV line number;
- ``on_error`` says what a file with invalid rows does. ``fail`` (the default)
  reads the file twice: a checking pass writes no point and lists every invalid
  row; only when there is none does a writing pass write them all. Otherwise the
  job fails with nothing written. ``skip`` reads it once, writing the valid rows
  and listing (and counting as skipped) the others;
- after each chunk the job's counts, progress, errors and a checkpoint (pass,
  byte offset, line) are committed together, so a retried job goes on from there
  in the same pass. Points are upserts, so a chunk written twice leaves the same
  points;
- a finished job (succeeded or failed) is never run again. The stored file is
  removed when the job finishes.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, select

from api.domain import tenancy
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.jobs import service as jobs
from api.domain.jobs.models import Job, JobError
from api.domain.metrics.definitions import known_metric_keys
from api.domain.metrics.import_csv import (
    ColumnMapping,
    Header,
    Lines,
    Row,
    encoding_problem,
    read_header,
    rows,
)
from api.domain.metrics.import_names import resolve_names
from api.domain.metrics.points import PointDraft, ingest_points, invalid_points
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

IMPORT_JOB = "workers.jobs.import_metric_points"
CHUNK_ROWS = 1_000
# Rows refused beyond this many are counted, not listed.
MAX_LISTED_ERRORS = 10_000
COPY_BUFFER = 1 << 20
NO_COUNTS = {"rows": 0, "inserted": 0, "updated": 0, "rejected": 0, "skipped": 0}
ON_ERROR = ("fail", "skip")
CHECKING, WRITING = "check", "write"
REFERENCES = {"channel_id": Channel, "campaign_id": Campaign, "content_item_id": ContentItem}


def start_import(
    *,
    uow: UnitOfWork,
    upload: BinaryIO,
    filename: str | None,
    mapping: ColumnMapping,
    upload_dir: str | Path,
    on_error: str = "fail",
) -> Job:
    """Store an uploaded CSV and queue its import; refuse it at once if it cannot fit.

    The mapping's constants must exist and the header row must have every mapped
    column (RuleViolation otherwise, with nothing stored or queued). ``on_error``
    is ``fail`` (any invalid row: nothing written) or ``skip`` (the valid rows are).
    """
    if on_error not in ON_ERROR:
        raise RuleViolation(
            f"on_error must be one of {', '.join(ON_ERROR)}",
            errors={"on_error": [f"Must be one of: {', '.join(ON_ERROR)}."]},
        )
    _check_constants(uow, mapping)
    directory = Path(upload_dir).resolve() / str(uow.tenant.organisation_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    try:
        with path.open("wb") as stored:
            shutil.copyfileobj(upload, stored, COPY_BUFFER)
        with path.open("rb") as raw:
            read_header(raw, mapping)
        job = jobs.create_job(
            uow=uow,
            kind="import",
            params={
                "path": str(path),
                "size": path.stat().st_size,
                "filename": _base_name(filename),
                "mapping": mapping.to_dict(),
                "on_error": on_error,
                "role": uow.tenant.role,
            },
        )
        job_id = job.id
        uow.after_commit(
            "default",
            IMPORT_JOB,
            str(uow.tenant.organisation_id),
            str(job_id),
            job_id=jobs.tracked_job_id(job_id),
        )
        uow.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # In-process (the embedded default) the job has run by now: show where it is.
    return tenancy.get(uow.session, Job, job_id, what="job", fresh=True)


def run_import(*, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    """Import the job's file (the unit of work is scoped to the job's organisation)."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    if job.status in ("succeeded", "failed"):
        _remove_file(job)
        return job
    checkpoint = job.params.get("checkpoint")
    if checkpoint is None:  # a first run, or a rerun that never got past its first chunk
        uow.session.execute(delete(JobError).where(JobError.job_id == job.id))
        job.counts = dict(NO_COUNTS)
    jobs.start_job(uow=uow, job_id=job.id)
    mapping = ColumnMapping.from_dict(job.params["mapping"])
    failing = _on_error(job) == "fail"
    try:
        with Path(job.params["path"]).open("rb") as raw:
            problem = None if checkpoint else encoding_problem(raw)
            if problem:
                return _finish(uow, job, error=problem)
            header = read_header(raw, mapping)
            if _pass(job) == CHECKING:
                _read(uow, job, raw, mapping, header)
                invalid = job.counts["rejected"]
                if invalid:
                    return _finish(uow, job, error=_invalid_rows_message(job, invalid))
                _start_writing(uow, job, header)
            _read(uow, job, raw, mapping, header)
    except FileNotFoundError:
        return _finish(
            uow,
            job,
            error="the uploaded file is no longer stored (CLOVER_UPLOAD_DIR must be shared "
            "by the API and the workers); upload it again",
        )
    except RuleViolation as error:  # the header, checked on upload already
        return _finish(uow, job, error=error.detail)
    except UnicodeDecodeError:  # checked before any row was read: the file changed since
        return _finish(uow, job, error="the file is not UTF-8 text; upload it again as UTF-8")
    if failing and job.counts["rejected"]:
        return _finish(uow, job, error=_refused_while_writing_message(job))
    return _finish(uow, job)


def fail_import(*, uow: UnitOfWork, job_id: uuid.UUID, error: str) -> Job:
    """Give up on an import that stopped unexpectedly (its last retry, or in-process)."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    if job.status in ("succeeded", "failed"):
        return job
    counts = {**NO_COUNTS, **job.counts}
    checkpoint = job.params.get("checkpoint") or {}
    if counts["inserted"] + counts["updated"]:
        # Say so: what was written stays, and a new upload of the file finishes the work.
        error += (
            f"; rows up to line {checkpoint.get('line', 0)} at least were written: upload the "
            "file again to import the rest (its points replace these, never duplicate them)"
        )
    return _finish(uow, job, error=error)


def _on_error(job: Job) -> str:
    # Jobs queued before the choice existed wrote their valid rows.
    return job.params.get("on_error", "skip")


def _pass(job: Job) -> str:
    """Which pass over the file the job is in: checking (``fail`` only), then writing."""
    checkpoint = job.params.get("checkpoint")
    if checkpoint is not None:
        return checkpoint.get("pass", WRITING)
    return CHECKING if _on_error(job) == "fail" else WRITING


def _start_writing(uow: UnitOfWork, job: Job, header: Header) -> None:
    """Every row is valid: the writing pass starts from the first row (committed, to resume)."""
    checkpoint = {"pass": WRITING, "offset": header.offset, "line": header.line, "listed": 0}
    job.params = {**job.params, "checkpoint": checkpoint}
    uow.commit()


def _errors_path(job: Job) -> str:
    return f"/v1/organisations/{job.organisation_id}/jobs/{job.id}/errors"


def _rows(count: int) -> str:
    return "1 row is" if count == 1 else f"{count:,} rows are"


def _invalid_rows_message(job: Job, invalid: int) -> str:
    listed = f" (the first {MAX_LISTED_ERRORS:,})" if invalid > MAX_LISTED_ERRORS else ""
    return (
        f"{_rows(invalid)} invalid; nothing was written; see {_errors_path(job)}{listed}. "
        "Correct them and upload the file again, or upload it with on_error=skip to write "
        "only the valid rows."
    )


def _refused_while_writing_message(job: Job) -> str:
    refused = job.counts["rejected"]
    return (
        f"{_rows(refused)} no longer valid when written (a metric key, channel, campaign or "
        f"content item named in the file was removed meanwhile); the other rows were "
        f"written; see {_errors_path(job)}"
    )


def _read(uow: UnitOfWork, job: Job, raw: BinaryIO, mapping: ColumnMapping, header: Header) -> None:
    """One pass over the file from the job's checkpoint, committing a checkpoint per chunk."""
    reading = _pass(job)
    start = job.params.get("checkpoint") or {
        "offset": header.offset,
        "line": header.line,
        "listed": 0,
    }
    lines = Lines(raw, offset=start["offset"], line=start["line"])
    chunk = _Chunk(job, lines, mapping, listed=start["listed"], reading=reading)
    for row in rows(lines, mapping, header):
        chunk.add(row)
        if chunk.full:
            chunk.commit(uow)
    chunk.commit(uow)


class _Chunk:
    """Rows read since the last checkpoint, checked or written (and checkpointed) together."""

    def __init__(
        self, job: Job, lines: Lines, mapping: ColumnMapping, *, listed: int, reading: str
    ) -> None:
        self.job, self.lines, self.listed, self.reading = job, lines, listed, reading
        self.mapping = mapping
        self.failing = _on_error(job) == "fail"
        # With on_error=fail the checking pass counts the rows; the writing pass reads them again.
        self.counting_rows = not (self.failing and reading == WRITING)
        self.counts = {**NO_COUNTS, **job.counts}
        self.points: list[Row] = []
        self.refused: list[tuple[int, str]] = []

    @property
    def full(self) -> bool:
        return len(self.points) + len(self.refused) >= CHUNK_ROWS

    def add(self, row: Row) -> None:
        if self.counting_rows:
            self.counts["rows"] += 1
        if row.point is None:
            self.refused.append((row.line, row.problem or "not a metric point"))
        else:
            self.points.append(row)

    def commit(self, uow: UnitOfWork) -> None:
        self.points, unmatched = resolve_names(uow=uow, mapping=self.mapping, rows=self.points)
        self.refused += unmatched
        points = [PointDraft(**row.point) for row in self.points]
        if points and self.reading == CHECKING:
            problems = invalid_points(uow=uow, points=points)
            self.refused += [(self.points[i].line, reason) for i, reason in problems]
        elif points:
            result = ingest_points(uow=uow, points=points, atomic=False)
            self.counts["inserted"] += result.inserted
            self.counts["updated"] += result.updated
            self.refused += [(self.points[i].line, reason) for i, reason in result.rejected]
        self.counts["rejected"] += len(self.refused)
        if not self.failing:
            self.counts["skipped"] += len(self.refused)
        listed = sorted(self.refused)[: max(0, MAX_LISTED_ERRORS - self.listed)]
        jobs.record_errors(uow=uow, job_id=self.job.id, errors=listed)
        self.listed += len(listed)
        self.job.progress = self._progress()
        self.job.counts = dict(self.counts)
        checkpoint = {"pass": self.reading, "offset": self.lines.offset, "line": self.lines.number}
        self.job.params = {**self.job.params, "checkpoint": {**checkpoint, "listed": self.listed}}
        uow.commit()
        self.points, self.refused = [], []

    def _progress(self) -> float:
        read = min(self.lines.offset / (self.job.params.get("size") or 1), 1.0)
        if not self.failing:
            return read
        # Two passes over the file: checking is the first half of the work, writing the second.
        return read / 2 if self.reading == CHECKING else 0.5 + read / 2


def _finish(uow: UnitOfWork, job: Job, *, error: str | None = None) -> Job:
    counts = {**NO_COUNTS, **job.counts}
    kind = "import.failed" if error else "import.completed"
    filename = job.params.get("filename")
    events.emit(
        uow=uow,
        type=kind,
        payload={"job_id": job.id, "filename": filename, "counts": counts, "error": error},
    )
    finished = jobs.finish_job(uow=uow, job_id=job.id, counts=counts, error=error)
    _remove_file(finished)
    return finished


def _remove_file(job: Job) -> None:
    path = job.params.get("path")
    if path:
        Path(path).unlink(missing_ok=True)


def _check_constants(uow: UnitOfWork, mapping: ColumnMapping) -> None:
    if mapping.metric_key is not None and mapping.metric_key not in known_metric_keys(uow=uow):
        raise RuleViolation(
            f"metric key {mapping.metric_key!r} is not defined",
            errors={"mapping": {"metric_key": [f"Unknown metric key {mapping.metric_key!r}."]}},
        )
    for name, value in mapping.constants.items():
        tenancy.get(
            uow.session, REFERENCES[name], value, what=name.removesuffix("_id").replace("_", " ")
        )
    campaign_id, channel_id = (
        mapping.constants.get("campaign_id"),
        mapping.constants.get("channel_id"),
    )
    if campaign_id is not None and channel_id is not None:
        linked = uow.session.scalar(
            select(CampaignChannel.channel_id).where(
                CampaignChannel.campaign_id == campaign_id,
                CampaignChannel.channel_id == channel_id,
            )
        )
        # Every row would be rejected: refuse the import before it starts.
        if linked is None:
            raise RuleViolation(
                "the campaign does not use the channel",
                errors={"mapping": {"channel_id": ["The campaign does not use this channel."]}},
            )


def _base_name(filename: str | None) -> str | None:
    if not filename:
        return None
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:255] or None
