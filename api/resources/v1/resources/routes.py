from api.domain.resources import service
from api.http.blueprint import Blueprint
from api.http.crud import Crud, register_crud
from api.resources.v1.resources.schemas import ResourceSchema, ResourceUpdateSchema

blp = Blueprint(
    "resources",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/resources",
    description=(
        "People and teams who create content or talk to customers, with their weekly "
        "capacity and hourly cost."
    ),
)

register_crud(
    blp,
    Crud(
        noun="resource",
        plural="resources",
        scope_area="strategies",
        schema=ResourceSchema,
        update_schema=ResourceUpdateSchema,
        create=service.create_resource,
        list=service.list_resources,
        get=service.get_resource,
        update=service.update_resource,
        delete=service.delete_resource,
    ),
    id_name="resource_id",
)
