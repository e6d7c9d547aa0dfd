import http

from flask import url_for
from flask.views import MethodView

from api.domain.metrics import imports
from api.http.blueprint import body_limit
from api.http.context import clover, uow
from api.http.uploads import UploadBlueprint
from api.resources.v1.imports.schemas import ImportUploadSchema
from api.resources.v1.jobs.schemas import JobSchema

blp = UploadBlueprint(
    "imports",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/imports",
    description="Metric points from CSV files, imported by a job.",
)
LOCATION_HEADER = {"Location": {"description": "The import's job", "schema": {"type": "string"}}}


@blp.route("")
class Imports(MethodView):
    @blp.operation("imports_create", scope="metrics:write")
    @body_limit(lambda: clover().settings.max_import_bytes)
    @blp.arguments(ImportUploadSchema, location="multipart")
    @blp.response(202, JobSchema, headers=LOCATION_HEADER)
    @blp.alt_response(413, response=http.HTTPStatus(413).name)
    def post(self, data):
        """Import metric points from a CSV file

        A `multipart/form-data` body with the CSV as `file` and, as `mapping`, a JSON
        object naming its columns, e.g. `{"day": "Date", "value": "Sales",
        "metric_key": "pos_sales"}`. The mapping and the header row are checked at
        once (422 naming what is missing, nothing queued); the rows are read by a
        job: follow `Location`, then list the invalid rows (by CSV line, with the
        reason) under `…/jobs/{job_id}/errors`. With `on_error=fail` (the default) a
        file with any invalid row writes nothing: the job checks every row first and
        fails, saying how many are invalid. With `on_error=skip` the valid rows are
        written and the job succeeds, counting the others as `skipped`. Points are
        written with source `import` and replace earlier ones with the same identity,
        so importing a file twice leaves the same points. A file that is not UTF-8
        fails its job with nothing written. No `Idempotency-Key`: a repeated upload
        is another job.
        """
        upload = data["file"]
        job = imports.start_import(
            uow=uow(),
            upload=upload.stream,
            filename=upload.filename,
            mapping=data["mapping"],
            upload_dir=clover().settings.upload_dir,
            on_error=data["on_error"],
        )
        location = url_for(
            "jobs.JobById", organisation_id=uow().tenant.organisation_id, job_id=job.id
        )
        return job, 202, {"Location": location}
