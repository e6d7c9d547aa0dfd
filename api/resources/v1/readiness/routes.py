from flask.views import MethodView

from api.domain.readiness import service
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.crud import Crud, register_crud
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

# Assessments are recorded and read; none is updated or deleted.
register_crud(
    blp,
    Crud(
        noun="readiness assessment",
        plural="readiness_assessments",
        scope_area="strategies",
        schema=AssessmentSchema,
        create=service.create_assessment,
        list=service.list_assessments,
        get=service.get_assessment,
        path="/readiness-assessments",
        summaries={
            "list": "List readiness assessments, most recently recorded first",
            "create": "Record a readiness assessment (scores 1 to 5 per leaf)",
        },
        versioned=False,
    ),
    id_name="assessment_id",
)


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
