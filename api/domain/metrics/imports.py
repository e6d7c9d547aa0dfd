"""CSV imports of metric points: checked and stored when uploaded, read by a job.

``start_import`` checks the mapping and the header row, stores the upload and
queues ``import_metric_points`` after commit. The job calls ``run_import``:

- a file that is not UTF-8 fails the job before any row is written;
- rows are read one at a time and written through ``ingest_points`` in chunks;
  each refused row is listed as a job error under its CSV line number;
- after each chunk the job's counts, progress and a checkpoint (byte offset,
  line) are committed, so a retried job goes on from there. Points are upserts,
  so a chunk written twice leaves the same points;
- a finished job (succeeded or failed) is never run again. The stored file is
  removed when the job finishes.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete

from api.domain import tenancy
from api.domain.access import Grant, Principal, Tenant
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel
from api.domain.content.models import ContentItem
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
from api.domain.metrics.points import ingest_points
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

IMPORT_JOB = "workers.jobs.import_metric_points"
CHUNK_ROWS = 1_000
# Rows refused beyond this many are counted, not listed.
MAX_LISTED_ERRORS = 10_000
COPY_BUFFER = 1 << 20
NO_COUNTS = {"rows": 0, "inserted": 0, "updated": 0, "rejected": 0}
REFERENCES = {"channel_id": Channel, "campaign_id": Campaign, "content_item_id": ContentItem}


def start_import(
    uow: UnitOfWork,
    tenant: Tenant,
    *,
    upload: BinaryIO,
    filename: str | None,
    mapping: dict,
    upload_dir: str | Path,
) -> Job:
    """Store an uploaded CSV and queue its import; refuse it at once if it cannot fit.

    The mapping's constants must exist and the header row must have every mapped
    column (RuleViolation otherwise, with nothing stored or queued).
    """
    columns = ColumnMapping.from_dict(mapping)
    _check_constants(uow, columns)
    directory = Path(upload_dir).resolve() / str(tenant.organisation_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    try:
        with path.open("wb") as stored:
            shutil.copyfileobj(upload, stored, COPY_BUFFER)
        with path.open("rb") as raw:
            read_header(raw, columns)
        job = jobs.create_job(
            uow,
            kind="import",
            params={
                "path": str(path),
                "size": path.stat().st_size,
                "filename": _base_name(filename),
                "mapping": columns.to_dict(),
                "role": tenant.role,
            },
        )
        job_id = job.id
        uow.after_commit(
            "default",
            IMPORT_JOB,
            str(tenant.organisation_id),
            str(job_id),
            job_id=jobs.tracked_job_id(job_id),
        )
        uow.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # In-process (the embedded default) the job has run by now: show where it is.
    return tenancy.get(uow.session, Job, job_id, what="job", fresh=True)


def run_import(uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    """Import the job's file (the unit of work is scoped to the job's organisation)."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    if job.status in ("succeeded", "failed"):
        _remove_file(job)
        return job
    checkpoint = job.params.get("checkpoint")
    if checkpoint is None:  # a first run, or a rerun that never got past its first chunk
        uow.session.execute(delete(JobError).where(JobError.job_id == job.id))
        job.counts = dict(NO_COUNTS)
    jobs.start_job(uow, job.id)
    mapping = ColumnMapping.from_dict(job.params["mapping"])
    try:
        with Path(job.params["path"]).open("rb") as raw:
            problem = None if checkpoint else encoding_problem(raw)
            if problem:
                return _finish(uow, job, error=problem)
            header = read_header(raw, mapping)
            _load(uow, job, raw, mapping, header, checkpoint)
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
    return _finish(uow, job)


def fail_import(uow: UnitOfWork, job_id: uuid.UUID, error: str) -> Job:
    """Give up on an import that stopped unexpectedly (its last retry, or in-process)."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    if job.status in ("succeeded", "failed"):
        return job
    return _finish(uow, job, error=error)


def _load(
    uow: UnitOfWork,
    job: Job,
    raw: BinaryIO,
    mapping: ColumnMapping,
    header: Header,
    checkpoint: dict | None,
) -> None:
    start = checkpoint or {"offset": header.offset, "line": header.line, "listed": 0}
    lines = Lines(raw, offset=start["offset"], line=start["line"])
    chunk = _Chunk(job, lines, listed=start["listed"])
    tenant = _job_tenant(job)
    for row in rows(lines, mapping, header):
        chunk.add(row)
        if chunk.full:
            chunk.write(uow, tenant)
    chunk.write(uow, tenant)


class _Chunk:
    """Rows read since the last checkpoint, written (and checkpointed) together."""

    def __init__(self, job: Job, lines: Lines, *, listed: int) -> None:
        self.job, self.lines, self.listed = job, lines, listed
        self.counts = {**NO_COUNTS, **job.counts}
        self.points: list[Row] = []
        self.refused: list[tuple[int, str]] = []

    @property
    def full(self) -> bool:
        return len(self.points) + len(self.refused) >= CHUNK_ROWS

    def add(self, row: Row) -> None:
        self.counts["rows"] += 1
        if row.point is None:
            self.refused.append((row.line, row.problem or "not a metric point"))
        else:
            self.points.append(row)

    def write(self, uow: UnitOfWork, tenant: Tenant) -> None:
        if self.points:
            result = ingest_points(uow, tenant, [row.point for row in self.points], atomic=False)
            self.counts["inserted"] += result.inserted
            self.counts["updated"] += result.updated
            self.refused += [(self.points[i].line, reason) for i, reason in result.rejected]
        self.counts["rejected"] += len(self.refused)
        listed = sorted(self.refused)[: max(0, MAX_LISTED_ERRORS - self.listed)]
        jobs.record_errors(uow, self.job.id, listed)
        self.listed += len(listed)
        size = self.job.params.get("size") or 1
        self.job.progress = min(self.lines.offset / size, 1.0)
        self.job.counts = dict(self.counts)
        checkpoint = {"offset": self.lines.offset, "line": self.lines.number}
        self.job.params = {**self.job.params, "checkpoint": {**checkpoint, "listed": self.listed}}
        uow.commit()
        self.points, self.refused = [], []


def _finish(uow: UnitOfWork, job: Job, *, error: str | None = None) -> Job:
    counts = {**NO_COUNTS, **job.counts}
    kind = "import.failed" if error else "import.completed"
    filename = job.params.get("filename")
    events.emit(
        uow, kind, {"job_id": job.id, "filename": filename, "counts": counts, "error": error}
    )
    finished = jobs.finish_job(uow, job.id, counts=counts, error=error)
    _remove_file(finished)
    return finished


def _remove_file(job: Job) -> None:
    path = job.params.get("path")
    if path:
        Path(path).unlink(missing_ok=True)


def _job_tenant(job: Job) -> Tenant:
    """The import writes as the role that uploaded it, with only the scope it needs."""
    grant = Grant(
        job.organisation_id, job.params.get("role", "contributor"), frozenset({"metrics:write"})
    )
    return Tenant(job.organisation_id, Principal("job", {job.organisation_id: grant}), grant)


def _check_constants(uow: UnitOfWork, mapping: ColumnMapping) -> None:
    if mapping.metric_key is not None and mapping.metric_key not in known_metric_keys(uow):
        raise RuleViolation(
            f"metric key {mapping.metric_key!r} is not defined",
            errors={"mapping": {"metric_key": [f"Unknown metric key {mapping.metric_key!r}."]}},
        )
    for name, value in mapping.constants.items():
        tenancy.get(
            uow.session, REFERENCES[name], value, what=name.removesuffix("_id").replace("_", " ")
        )


def _base_name(filename: str | None) -> str | None:
    if not filename:
        return None
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:255] or None
