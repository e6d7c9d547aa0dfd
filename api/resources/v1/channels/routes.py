from api.domain.channels import service
from api.http.blueprint import Blueprint
from api.http.crud import Crud, register_crud
from api.resources.v1.channels.schemas import (
    ChannelFilterSchema,
    ChannelSchema,
    ChannelUpdateSchema,
)

blp = Blueprint(
    "channels",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/channels",
    description=(
        "Where the organisation talks: social networks (conversational) and traditional "
        "push channels. A channel with campaigns or content is archived, not deleted (409)."
    ),
)

register_crud(
    blp,
    Crud(
        noun="channel",
        plural="channels",
        scope_area="channels",
        schema=ChannelSchema,
        update_schema=ChannelUpdateSchema,
        create=service.create_channel,
        list=service.list_channels,
        get=service.get_channel,
        update=service.update_channel,
        delete=service.delete_channel,
        filter_schema=ChannelFilterSchema,
        summaries={"list": "List channels, filtered by status, kind, handle and name"},
    ),
    id_name="channel_id",
)
