import marshmallow as ma
from flask.views import MethodView

from api.domain.audit import AuditFilter, list_events
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.http.schema import Schema

blp = Blueprint(
    "audit-events",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/audit-events",
    description="Who changed what, when, and from which client.",
)


class AuditEventSchema(Schema):
    class Meta:
        name = "AuditEvent"

    id = ma.fields.UUID()
    created_at = ma.fields.DateTime()
    action = ma.fields.String(metadata={"description": "create, update, delete, activate…"})
    resource_type = ma.fields.String()
    resource_id = ma.fields.UUID()
    actor_user_id = ma.fields.UUID(allow_none=True)
    actor_api_key_id = ma.fields.UUID(allow_none=True)
    actor_client_id = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Field → {before, after}"},
    )


class AuditFilterSchema(Schema):
    resource_type = ma.fields.String(validate=ma.validate.Length(max=40))
    resource_id = ma.fields.UUID()
    actor_user_id = ma.fields.UUID()
    actor_api_key_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime(metadata={"description": "At or after this time"})
    until = ma.fields.AwareDateTime(metadata={"description": "Before this time"})


@blp.route("")
class AuditEvents(MethodView):
    @blp.operation("audit_events_list", scope="reports:read")
    @blp.arguments(AuditFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(AuditEventSchema, "AuditEventPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List audit events, newest first"""
        return paged(
            list_events(uow=uow(), filters=AuditFilter(**filters), page=page_request(args))
        )
