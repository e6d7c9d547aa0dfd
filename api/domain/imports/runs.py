"""CSV imports as jobs, whatever their rows become: stored on upload, read by a job.

What a kind of import reads and writes is an ``ImportRows`` (metric points in
``api.domain.metrics.imports``, content items in ``api.domain.content_items.imports``);
the rest is one rule for every kind:

- ``store_upload`` keeps the file, checks its header row (RuleViolation, nothing
  stored or queued) and queues the kind's job after commit under the job's tracked id;
- a file that is not UTF-8 fails the job before any row is written;
- rows are read one at a time (never the whole file) in chunks; each invalid row
  is listed as a job error under its CSV line number;
- ``on_error`` says what a file with invalid rows does. ``fail`` (the default)
  reads the file twice: a checking pass writes nothing and lists every invalid
  row; only when there is none does a writing pass write them all. Otherwise the
  job fails with nothing written. ``skip`` reads it once, writing the valid rows
  and listing (and counting as skipped) the others;
- after each chunk the job's counts, progress, errors and a checkpoint (pass,
  byte offset, line) are committed together, so a retried job goes on from there
  in the same pass. A kind whose writes are ``atomic`` (rows that are created, not
  upserted: written twice they would be twice) writes its whole writing pass in one
  transaction, committed with the job's end: a run that stops writes nothing, its
  retry writes the file from the start, and with ``fail`` a row refused while
  writing leaves nothing written;
- a finished job (succeeded or failed) is never run again. The stored file is
  removed when the job finishes.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import delete

from api.domain import tenancy
from api.domain.errors import RuleViolation
from api.domain.imports.csv_file import Header, Lines, encoding_problem
from api.domain.jobs import service as jobs
from api.domain.jobs.models import Job, JobError
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

CHUNK_ROWS = 1_000
# Rows refused beyond this many are counted, not listed.
MAX_LISTED_ERRORS = 10_000
COPY_BUFFER = 1 << 20
NO_COUNTS = {"rows": 0, "inserted": 0, "updated": 0, "rejected": 0, "skipped": 0}
ON_ERROR = ("fail", "skip")
CHECKING, WRITING = "check", "write"


class ImportRow(Protocol):
    line: int
    problem: str | None


@dataclass(frozen=True)
class Written:
    inserted: int = 0
    updated: int = 0
    refused: tuple[tuple[int, str], ...] = ()


class ImportRows(Protocol):
    """One kind of import: how its file's rows are read, checked and written."""

    job: str  # the job's dotted name, queued on "default"
    atomic: bool  # the writing pass is one transaction (see the module's doc)
    # What a row refused while writing (after a checking pass found none) means.
    changed_meanwhile: str
    # What a job that stopped after writing some rows tells the user to do.
    rerun_advice: str

    def header(self, raw: BinaryIO) -> Header: ...

    def rows(self, lines: Lines, header: Header) -> Iterator[ImportRow]: ...

    def check(self, uow: UnitOfWork, rows: list) -> list[tuple[int, str]]: ...

    def write(self, uow: UnitOfWork, rows: list) -> Written: ...


def check_on_error(on_error: str) -> None:
    if on_error not in ON_ERROR:
        raise RuleViolation(
            f"on_error must be one of {', '.join(ON_ERROR)}",
            errors={"on_error": [f"Must be one of: {', '.join(ON_ERROR)}."]},
        )


def store_upload(
    *,
    uow: UnitOfWork,
    kind: ImportRows,
    upload: BinaryIO,
    filename: str | None,
    upload_dir: str | Path,
    on_error: str,
    params: dict,
) -> Job:
    """Store the file, check its header, create the job and queue it (after commit)."""
    check_on_error(on_error)
    directory = Path(upload_dir).resolve() / str(uow.tenant.organisation_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    try:
        with path.open("wb") as stored:
            shutil.copyfileobj(upload, stored, COPY_BUFFER)
        with path.open("rb") as raw:
            kind.header(raw)
        job = jobs.create_job(
            uow=uow,
            kind="import",
            params={
                "path": str(path),
                "size": path.stat().st_size,
                "filename": _base_name(filename),
                "on_error": on_error,
                "role": uow.tenant.role,
                **params,
            },
        )
        job_id = job.id
        uow.after_commit(
            "default",
            kind.job,
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


def run(*, uow: UnitOfWork, job_id: uuid.UUID, kind_of) -> Job:
    """Import the job's file; ``kind_of(job)`` is its ImportRows."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    if job.status in ("succeeded", "failed"):
        _remove_file(job)
        return job
    checkpoint = job.params.get("checkpoint")
    if checkpoint is None:  # a first run, or a rerun that never got past its first chunk
        uow.session.execute(delete(JobError).where(JobError.job_id == job.id))
        job.counts = dict(NO_COUNTS)
    jobs.start_job(uow=uow, job_id=job.id)
    kind = kind_of(job)
    failing = _on_error(job) == "fail"
    try:
        with Path(job.params["path"]).open("rb") as raw:
            problem = None if checkpoint else encoding_problem(raw)
            if problem:
                return _finish(uow, job, error=problem)
            header = kind.header(raw)
            if _pass(job) == CHECKING:
                _read(uow, job, raw, kind, header)
                invalid = job.counts["rejected"]
                if invalid:
                    return _finish(uow, job, error=_invalid_rows_message(job, invalid))
                _start_writing(uow, job, header)
            if kind.atomic:
                return _write_at_once(uow, job, raw, kind, header)
            _read(uow, job, raw, kind, header)
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
        return _finish(uow, job, error=_refused_while_writing_message(job, kind))
    return _finish(uow, job)


def fail(*, uow: UnitOfWork, job_id: uuid.UUID, error: str, kind_of) -> Job:
    """Give up on an import that stopped unexpectedly (its last retry, or in-process)."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    if job.status in ("succeeded", "failed"):
        return job
    counts = {**NO_COUNTS, **job.counts}
    checkpoint = job.params.get("checkpoint") or {}
    if counts["inserted"] + counts["updated"]:
        # Say so: what was written stays, and the kind says how to finish the work.
        error += (
            f"; rows up to line {checkpoint.get('line', 0)} at least were written: "
            f"{kind_of(job).rerun_advice}"
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


def _refused_while_writing_message(job: Job, kind: ImportRows) -> str:
    refused = job.counts["rejected"]
    return (
        f"{_rows(refused)} no longer valid when written ({kind.changed_meanwhile}); the "
        f"other rows were written; see {_errors_path(job)}"
    )


def _read(uow: UnitOfWork, job: Job, raw: BinaryIO, kind: ImportRows, header: Header) -> None:
    """One pass over the file from the job's checkpoint, committing a checkpoint per chunk."""
    reading = _pass(job)
    start = job.params.get("checkpoint") or {
        "offset": header.offset,
        "line": header.line,
        "listed": 0,
    }
    lines = Lines(raw, offset=start["offset"], line=start["line"])
    chunk = _Chunk(job, lines, kind, listed=start["listed"], reading=reading)
    for row in kind.rows(lines, header):
        chunk.add(row)
        if chunk.full:
            chunk.commit(uow)
    chunk.commit(uow)


def _write_at_once(
    uow: UnitOfWork, job: Job, raw: BinaryIO, kind: ImportRows, header: Header
) -> Job:
    """The writing pass of an atomic kind: every row in one transaction, ended with the job.

    The job's row is not touched until the end, so the run's heartbeat (another
    session) is never held up by this transaction's lock on it.
    """
    job_id, failing = job.id, _on_error(job) == "fail"
    counts = {**NO_COUNTS, **job.counts}
    counting_rows = not failing  # with fail, the checking pass counted them
    lines = Lines(raw, offset=header.offset, line=header.line)
    pending: list = []
    refused: list[tuple[int, str]] = []

    def flush() -> None:
        if pending:
            written = kind.write(uow, pending)
            counts["inserted"] += written.inserted
            counts["updated"] += written.updated
            refused.extend(written.refused)
            pending.clear()

    for row in kind.rows(lines, header):
        if counting_rows:
            counts["rows"] += 1
        if row.problem is not None:
            refused.append((row.line, row.problem))
        else:
            pending.append(row)
        if len(pending) >= CHUNK_ROWS:
            flush()
    flush()
    if failing and refused:
        uow.rollback()  # nothing of the file is written
        job = tenancy.get(uow.session, Job, job_id, what="job")
        jobs.record_errors(uow=uow, job_id=job_id, errors=sorted(refused)[:MAX_LISTED_ERRORS])
        job.counts = {**counts, "inserted": 0, "updated": 0, "rejected": len(refused)}
        return _finish(
            uow,
            job,
            error=f"{_rows(len(refused))} no longer valid when written "
            f"({kind.changed_meanwhile}); nothing was written; see {_errors_path(job)}",
        )
    # A late duplicate run waits here for the first one's commit, then writes nothing.
    uow.session.refresh(job, with_for_update=True)
    if job.status in ("succeeded", "failed"):
        uow.rollback()
        return tenancy.get(uow.session, Job, job_id, what="job")
    counts["rejected"] += len(refused)
    counts["skipped"] += len(refused)  # with fail there is none
    jobs.record_errors(uow=uow, job_id=job_id, errors=sorted(refused)[:MAX_LISTED_ERRORS])
    job.counts = counts
    return _finish(uow, job)


class _Chunk:
    """Rows read since the last checkpoint, checked or written (and checkpointed) together."""

    def __init__(
        self, job: Job, lines: Lines, kind: ImportRows, *, listed: int, reading: str
    ) -> None:
        self.job, self.lines, self.listed, self.reading = job, lines, listed, reading
        self.kind = kind
        self.failing = _on_error(job) == "fail"
        # With on_error=fail the checking pass counts the rows; the writing pass reads them again.
        self.counting_rows = not (self.failing and reading == WRITING)
        self.counts = {**NO_COUNTS, **job.counts}
        self.pending: list = []
        self.refused: list[tuple[int, str]] = []

    @property
    def full(self) -> bool:
        return len(self.pending) + len(self.refused) >= CHUNK_ROWS

    def add(self, row: ImportRow) -> None:
        if self.counting_rows:
            self.counts["rows"] += 1
        if row.problem is not None:
            self.refused.append((row.line, row.problem))
        else:
            self.pending.append(row)

    def commit(self, uow: UnitOfWork) -> None:
        if self.pending and self.reading == CHECKING:
            self.refused += self.kind.check(uow, self.pending)
        elif self.pending:
            written = self.kind.write(uow, self.pending)
            self.counts["inserted"] += written.inserted
            self.counts["updated"] += written.updated
            self.refused += written.refused
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
        self.pending, self.refused = [], []

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


def _base_name(filename: str | None) -> str | None:
    if not filename:
        return None
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:255] or None
