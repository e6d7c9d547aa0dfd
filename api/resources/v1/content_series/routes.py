from api.domain.content_series import service
from api.http.blueprint import Blueprint
from api.http.crud import Crud, register_crud
from api.resources.v1.content_series.schemas import (
    ContentSeriesFilterSchema,
    ContentSeriesSchema,
    ContentSeriesUpdateSchema,
)

blp = Blueprint(
    "content-series",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/content-series",
    description=(
        "Recurring content: an iCalendar RRULE, in the organisation's time zone, that "
        "generates ordinary content items (filter them with ?series_id=). Editing an item "
        "detaches it from its series; editing the series changes its untouched future "
        "items (still in their initial status), cancels those the rule no longer gives "
        "and adds new ones; deleting it cancels its untouched future items and keeps the "
        "others, no longer linked."
    ),
)

register_crud(
    blp,
    Crud(
        noun="content series",
        plural="content_series",
        scope_area="content",
        schema=ContentSeriesSchema,
        update_schema=ContentSeriesUpdateSchema,
        create=service.create_series,
        list=service.list_series,
        get=service.get_series,
        update=service.update_series,
        delete=service.delete_series,
        filter_schema=ContentSeriesFilterSchema,
        summaries={
            "create": "Create a content series and its content items",
            "list": "List content series, optionally of one campaign",
            "update": "Update a content series and its untouched future items",
            "delete": "Delete a content series, cancelling its untouched future items",
        },
    ),
    id_name="series_id",
)
