from api.http.blueprint import Blueprint

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/reports",
    description=(
        "Is social media marketing paying off for the business? Every report shows its "
        "figures and the inputs used; `null` with a reason where an input is missing. "
        "Send `Accept: text/csv` for the same figures as CSV."
    ),
)

# Each report module adds its routes to `blp` when imported.
from api.resources.v1.reports import (  # noqa: E402, F401
    alignment,
    channels,
    funnel,
    lift,
    roi,
    share_of_voice,
)
