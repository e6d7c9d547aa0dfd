from flask.views import MethodView

from api.domain.jobs import service
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.jobs.schemas import JobErrorSchema, JobFilterSchema, JobSchema

blp = Blueprint(
    "jobs",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/jobs",
    description=(
        "Asynchronous work (imports, rollups, syncs, re-matches): its status, progress, counts "
        "and the rows it could not take."
    ),
)


@blp.route("")
class Jobs(MethodView):
    @blp.operation("jobs_list", scope="metrics:read")
    @blp.arguments(JobFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(JobSchema, "JobPage"), headers=LINK_HEADER)
    def get(self, args, kind=None):
        """List jobs, newest first"""
        return paged(service.list_jobs(uow=uow(), page=page_request(args), kind=kind))


@blp.route("/<uuid:job_id>")
class JobById(MethodView):
    @blp.operation("jobs_get", scope="metrics:read")
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """Get a job: its status, progress and counts"""
        return service.get_job(uow=uow(), job_id=job_id)


@blp.route("/<uuid:job_id>/errors")
class JobErrors(MethodView):
    @blp.operation("jobs_list_errors", scope="metrics:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(JobErrorSchema, "JobErrorPage"), headers=LINK_HEADER)
    def get(self, args, job_id):
        """List what a job could not take (for imports: rows and why), in row order

        An import lists at most 10,000 refused rows; its `counts.rejected` counts them all.
        """
        return paged(service.list_job_errors(uow=uow(), job_id=job_id, page=page_request(args)))
