from flask import url_for
from flask.views import MethodView

from api.domain.metrics.rollup_requests import request_full_rollup
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.resources.v1.jobs.schemas import JobSchema

blp = Blueprint(
    "rollups",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/rollups",
    description="KPI rollups on request (new metric points and a nightly run trigger them too).",
)
LOCATION = {"Location": {"description": "The rollup's job", "schema": {"type": "string"}}}


@blp.route("")
class Rollups(MethodView):
    @blp.operation("rollups_create", scope="metrics:write", idempotent=True)
    @blp.response(202, JobSchema, headers=LOCATION)
    def post(self):
        """Recompute every KPI value of the organisation

        Answers 202 with the job; follow `Location` for its status and counts.
        """
        job = request_full_rollup(uow=uow())
        location = url_for(
            "jobs.JobById", organisation_id=uow().tenant.organisation_id, job_id=job.id
        )
        return job, 202, {"Location": location}
