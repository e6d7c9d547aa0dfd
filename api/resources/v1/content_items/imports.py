import http

import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from api.domain.content_items import imports
from api.domain.content_items.import_rows import COLUMNS, REQUIRED
from api.domain.imports.runs import ON_ERROR
from api.http.blueprint import body_limit
from api.http.context import clover, uow
from api.http.schema import Schema
from api.http.uploads import UploadBlueprint
from api.resources.v1.imports.schemas import CsvUpload
from api.resources.v1.jobs.schemas import JobSchema

imports_blp = UploadBlueprint(
    "content-item-imports",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/content-items/imports",
    description="Planned posts from CSV files, created as content items by a job.",
)
LOCATION_HEADER = {"Location": {"description": "The import's job", "schema": {"type": "string"}}}


class ContentImportUploadSchema(Schema):
    class Meta:
        name = "ContentImportUpload"

    file = CsvUpload(
        required=True,
        metadata={
            "description": "The CSV: UTF-8 text (a byte order mark is fine), comma-separated, "
            f"a header row naming the columns {', '.join(COLUMNS)} (required: "
            f"{', '.join(REQUIRED)}; others may be left out; any other column is ignored), "
            "at most 200 MB by default (CLOVER_MAX_IMPORT_BYTES)"
        },
    )
    on_error = ma.fields.String(
        load_default="fail",
        validate=ma.validate.OneOf(ON_ERROR),
        metadata={
            "description": "What a file with invalid rows does: `fail` (the default) creates "
            "nothing and fails the job, listing every invalid row; `skip` creates the valid "
            "rows' items and lists (and counts as skipped) the others",
            "enum": list(ON_ERROR),
        },
    )


@imports_blp.route("")
class ContentItemImports(MethodView):
    @imports_blp.operation("content_items_import", scope="content:write")
    @body_limit(lambda: clover().settings.max_import_bytes)
    @imports_blp.arguments(ContentImportUploadSchema, location="multipart")
    @imports_blp.response(202, JobSchema, headers=LOCATION_HEADER)
    @imports_blp.alt_response(413, response=http.HTTPStatus(413).name)
    def post(self, data):
        """Import planned posts from a CSV file

        A `multipart/form-data` body with the CSV as `file`, one content item per row,
        in the columns of the plan's CSV export (`GET …/plan` with `Accept: text/csv`),
        so an exported plan can be edited and imported again. `channel` is a channel's
        id, handle or name (ignoring case and a leading `@`), `campaign` a campaign's
        id or UTM code, `owner` a resource's id or name (ignoring case); each must
        name exactly one of the organisation's, else the row is invalid, naming the
        column. `due_date` is YYYY-MM-DD, `scheduled_at` a time with its offset,
        `status` idea, drafting or in_review (default idea: an
        item is approved in Clover, never by a file). Each row meets the rules of a
        single create: the channel is one of the campaign's, the due date within its
        dates, the campaign neither completed nor cancelled. A cell the export wrote
        after a `'` (a would-be formula) is read without it.

        The header row is checked at once (422 naming a missing required column,
        nothing queued); the rows are read by a job: follow `Location`, then list the
        invalid rows (by CSV line, with the reason) under `…/jobs/{job_id}/errors`.
        With `on_error=fail` (the default) a file with any invalid row creates
        nothing: the job checks every row first and fails, saying how many are
        invalid; a valid file's items are created together in one transaction. With
        `on_error=skip` the valid rows' items are created and the job succeeds,
        counting the others as `skipped`. No `Idempotency-Key`: a repeated upload is
        another job, and creates its items again.
        """
        upload = data["file"]
        job = imports.start_import(
            uow=uow(),
            upload=upload.stream,
            filename=upload.filename,
            upload_dir=clover().settings.upload_dir,
            on_error=data["on_error"],
        )
        location = url_for(
            "jobs.JobById", organisation_id=uow().tenant.organisation_id, job_id=job.id
        )
        return job, 202, {"Location": location}
