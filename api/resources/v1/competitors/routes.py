from api.domain.competitors import service
from api.http.blueprint import Blueprint
from api.http.crud import Crud, register_crud
from api.resources.v1.competitors.schemas import CompetitorSchema, CompetitorUpdateSchema

blp = Blueprint(
    "competitors",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/competitors",
    description=(
        "Who else people talk about. A mention of the competitor topic names its "
        "competitor: the one its caller gave, or the one whose handle wrote it or whose "
        "keyword it holds (whole words, any case, accents or inflection; none when "
        "several match). Changing handles or keywords matches older mentions again in "
        "the background."
    ),
)

register_crud(
    blp,
    Crud(
        noun="competitor",
        plural="competitors",
        scope_area="metrics",
        schema=CompetitorSchema,
        update_schema=CompetitorUpdateSchema,
        create=service.create_competitor,
        list=service.list_competitors,
        get=service.get_competitor,
        update=service.update_competitor,
        delete=service.delete_competitor,
        summaries={"delete": "Delete a competitor (its mentions then name none)"},
    ),
    id_name="competitor_id",
)
