from api.domain.audiences import service
from api.http.blueprint import Blueprint
from api.http.crud import Crud, register_crud
from api.resources.v1.audiences.schemas import AudienceSchema, AudienceUpdateSchema

blp = Blueprint(
    "audiences",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/audiences",
    description=(
        "Customers, prospects, partners, influencers and employees: what they are worth "
        "and which channels they prefer."
    ),
)

register_crud(
    blp,
    Crud(
        noun="audience",
        plural="audiences",
        scope_area="strategies",
        schema=AudienceSchema,
        update_schema=AudienceUpdateSchema,
        create=service.create_audience,
        list=service.list_audiences,
        get=service.get_audience,
        update=service.update_audience,
        delete=service.delete_audience,
    ),
    id_name="audience_id",
)
