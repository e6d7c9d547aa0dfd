"""CSV imports of metric points: checked and stored when uploaded, read by a job.

``start_import`` checks the mapping and the header row, stores the upload and
queues ``import_metric_points`` after commit. The job calls ``run_import``, which
reads the file by the rule of every CSV import (``api.domain.imports.runs``: two
passes with ``on_error=fail``, nothing written while any row is invalid; a
checkpoint per chunk of 1,000 rows). Points are upserts, so a chunk written twice
leaves the same points: the writing pass commits chunk by chunk.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from api.domain import tenancy
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.imports import runs
from api.domain.imports.csv_file import Header, Lines
from api.domain.jobs.models import Job
from api.domain.metrics.definitions import known_metric_keys
from api.domain.metrics.import_csv import ColumnMapping, Row, read_header, rows
from api.domain.metrics.import_names import resolve_names
from api.domain.metrics.points import PointDraft, ingest_points, invalid_points
from api.domain.uow import UnitOfWork

IMPORT_JOB = "workers.jobs.import_metric_points"
# The one rule of every CSV import, read from here too.
CHUNK_ROWS = runs.CHUNK_ROWS
MAX_LISTED_ERRORS = runs.MAX_LISTED_ERRORS
NO_COUNTS = runs.NO_COUNTS
ON_ERROR = runs.ON_ERROR
REFERENCES = {"channel_id": Channel, "campaign_id": Campaign, "content_item_id": ContentItem}


class MetricPointRows:
    """Rows of a metric import as the mapping reads them; written as upserted points."""

    job = IMPORT_JOB
    atomic = False
    changed_meanwhile = (
        "a metric key, channel, campaign or content item named in the file was removed meanwhile"
    )
    rerun_advice = (
        "upload the file again to import the rest (its points replace these, never duplicate them)"
    )

    def __init__(self, mapping: ColumnMapping) -> None:
        self.mapping = mapping

    def header(self, raw: BinaryIO) -> Header:
        return read_header(raw, self.mapping)

    def rows(self, lines: Lines, header: Header) -> Iterator[Row]:
        return rows(lines, self.mapping, header)

    def _resolved(self, uow: UnitOfWork, pending: list[Row]):
        return resolve_names(uow=uow, mapping=self.mapping, rows=pending)

    def check(self, uow: UnitOfWork, pending: list[Row]) -> list[tuple[int, str]]:
        resolved, refused = self._resolved(uow, pending)
        points = [PointDraft(**row.point) for row in resolved]
        if points:
            problems = invalid_points(uow=uow, points=points)
            refused += [(resolved[i].line, reason) for i, reason in problems]
        return refused

    def write(self, uow: UnitOfWork, pending: list[Row]) -> runs.Written:
        resolved, refused = self._resolved(uow, pending)
        points = [PointDraft(**row.point) for row in resolved]
        if not points:
            return runs.Written(refused=tuple(refused))
        result = ingest_points(uow=uow, points=points, atomic=False)
        refused += [(resolved[i].line, reason) for i, reason in result.rejected]
        return runs.Written(result.inserted, result.updated, tuple(refused))


def _rows_of(job: Job) -> MetricPointRows:
    return MetricPointRows(ColumnMapping.from_dict(job.params["mapping"]))


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
    runs.check_on_error(on_error)
    _check_constants(uow, mapping)
    return runs.store_upload(
        uow=uow,
        kind=MetricPointRows(mapping),
        upload=upload,
        filename=filename,
        upload_dir=upload_dir,
        on_error=on_error,
        params={"mapping": mapping.to_dict()},
    )


def run_import(*, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    """Import the job's file (the unit of work is scoped to the job's organisation)."""
    return runs.run(uow=uow, job_id=job_id, kind_of=_rows_of)


def fail_import(*, uow: UnitOfWork, job_id: uuid.UUID, error: str) -> Job:
    """Give up on an import that stopped unexpectedly (its last retry, or in-process)."""
    return runs.fail(uow=uow, job_id=job_id, error=error, kind_of=_rows_of)


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
