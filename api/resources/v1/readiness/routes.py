from flask import url_for
from flask.views import MethodView

from api.domain.readiness import service
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.readiness.schemas import AssessmentSchema, ReadinessSchema, readiness_body

blp = Blueprint(
    "readiness",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>",
    description=(
        "Readiness for social business, after the Clover architecture: culture, "
        "leadership and governance are the big leaves, technology the small one."
    ),
)


@blp.route("/readiness-assessments")
class Assessments(MethodView):
    @blp.operation("readiness_assessments_list", scope="strategies:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(
        200, page_schema(AssessmentSchema, "ReadinessAssessmentPage"), headers=LINK_HEADER
    )
    def get(self, args):
        """List readiness assessments, most recently recorded first"""
        return paged(service.list_assessments(uow=uow(), page=page_request(args)))

    @blp.operation("readiness_assessments_create", scope="strategies:write", idempotent=True)
    @blp.arguments(AssessmentSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, data):
        """Record a readiness assessment (scores 1 to 5 per leaf)"""
        assessment = service.create_assessment(uow=uow(), draft=data)
        location = url_for(
            "readiness.AssessmentById",
            organisation_id=uow().tenant.organisation_id,
            assessment_id=assessment.id,
        )
        return assessment, 201, {"Location": location}


@blp.route("/readiness-assessments/<uuid:assessment_id>")
class AssessmentById(MethodView):
    @blp.operation("readiness_assessments_get", scope="strategies:read")
    @blp.response(200, AssessmentSchema)
    def get(self, assessment_id):
        """Get a readiness assessment"""
        return service.get_assessment(uow=uow(), assessment_id=assessment_id)


@blp.route("/readiness")
class Readiness(MethodView):
    @blp.operation("readiness_get", scope="strategies:read")
    @blp.response(200, ReadinessSchema)
    def get(self):
        """The current readiness

        Latest scores (by assessment day), the change since the previous
        assessment, the weakest leaf, and the overall readiness
        0.3 × culture + 0.3 × leadership + 0.3 × governance + 0.1 × technology.
        All fields are null before the first assessment.
        """
        return readiness_body(service.current_readiness(uow=uow()))
