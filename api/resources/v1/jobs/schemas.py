import marshmallow as ma

from api.domain.jobs.models import JOB_KINDS, JOB_STATUSES
from api.http.schema import Schema


class JobSchema(Schema):
    class Meta:
        name = "Job"

    id = ma.fields.UUID(dump_only=True)
    # No enum: a client generated from API 1.0's document knows three kinds and refuses
    # a fourth; the unfiltered list keeps to those three.
    kind = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "import, rollup, sync, or rematch (a key message's or the "
            "competitors' history matched again after their phrases changed; listed "
            "only with `?kind=rematch`)"
        },
    )
    status = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "queued → running → succeeded | failed. A run that stopped "
            "before the end (its worker lost, Redis lost the job, or an error that is "
            "retried) makes the job interrupted until it runs again (running, one attempt "
            "more), from its checkpoint",
            "enum": JOB_STATUSES,
        },
    )
    progress = ma.fields.Float(
        dump_only=True, metadata={"description": "From 0 to 1 (for imports: bytes read / size)"}
    )
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        dump_only=True,
        metadata={
            "description": "What the job did so far; an import counts rows, inserted "
            "(points written, or content items created), updated, rejected (invalid rows) "
            "and skipped (invalid rows left out with `on_error=skip`). A content import "
            "creates its items in one transaction at its end: until then, inserted is 0. "
            "A key message's re-match counts the mentions and content_items that carry "
            "it; the competitors' re-match counts the mentions whose competitor changed"
        },
    )
    error = ma.fields.String(
        dump_only=True, allow_none=True, metadata={"description": "Why a failed job failed"}
    )
    filename = ma.fields.Function(
        lambda job: job.params.get("filename"),
        dump_only=True,
        allow_none=True,
        metadata={"description": "The uploaded file's name, for imports"},
    )
    imports = ma.fields.Function(
        lambda job: job.params.get("of", "metric_points") if job.kind == "import" else None,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "For imports, what the file's rows become: metric_points "
            "(`POST …/imports`) or content_items (`POST …/content-items/imports`)",
            "type": "string",
        },
    )
    on_error = ma.fields.Function(
        lambda job: job.params.get("on_error"),
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "For imports, what invalid rows do: fail (nothing is written) "
            "or skip (the valid rows are)",
            "type": "string",
        },
    )
    rematches = ma.fields.Function(
        lambda job: job.params.get("of") if job.kind == "rematch" else None,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "For re-matches, what is matched again: key_message (its "
            "phrases changed, or it is new) or competitors (a competitor's handles or "
            "keywords changed, or one was added or deleted)",
            "type": "string",
            "enum": ["key_message", "competitors", None],
        },
    )
    key_message_id = ma.fields.Function(
        lambda job: job.params.get("key_message_id") if job.kind == "rematch" else None,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "For a key message's re-match, the message",
            "type": "string",
            "format": "uuid",
        },
    )
    request_id = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The X-Request-ID of the request that created the job (the "
            "client's, or the one Clover gave it): the job's log lines carry it, those of "
            "a run queued again after a lost worker or Redis too. Null for periodic work "
            "and for jobs created before Clover kept it",
            "maxLength": 128,
        },
    )
    attempts = ma.fields.Integer(
        dump_only=True, metadata={"description": "How many runs of the job have begun"}
    )
    heartbeat_at = ma.fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The running attempt's last sign of life"},
    )
    created_at = ma.fields.DateTime(dump_only=True)
    started_at = ma.fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the first attempt began (a resumed job keeps it)"},
    )
    finished_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class JobFilterSchema(Schema):
    kind = ma.fields.String(
        validate=ma.validate.OneOf(JOB_KINDS),
        metadata={
            "description": "Only jobs of this kind; without it, import, rollup and sync jobs "
            "(re-matches are listed with `rematch`)"
        },
    )


class JobErrorSchema(Schema):
    class Meta:
        name = "JobError"

    row = ma.fields.Integer(
        metadata={"description": "For imports, the CSV line number (the header is line 1)"}
    )
    message = ma.fields.String()
