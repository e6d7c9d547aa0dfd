"""The `reports` blueprint the report views document themselves on (routed in ``__init__``)."""

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
