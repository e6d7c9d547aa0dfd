import marshmallow as ma
from flask.views import MethodView

from api.domain.identity import service
from api.http.blueprint import Blueprint
from api.http.context import current_principal, uow
from api.http.schema import Schema

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="Who the caller is.")


class CallerUserSchema(Schema):
    class Meta:
        name = "CallerUser"

    id = ma.fields.UUID()
    email = ma.fields.String()
    name = ma.fields.String()


class CallerApiKeySchema(Schema):
    class Meta:
        name = "CallerApiKey"

    id = ma.fields.UUID()
    name = ma.fields.String()
    prefix = ma.fields.String()
    kind = ma.fields.String(
        metadata={
            "description": "personal (acts for `user`) or organisation (acts as the "
            "organisation: `user` is null)"
        }
    )
    role = ma.fields.String(
        metadata={"description": "The key's own role; the effective one is per organisation"}
    )
    created_by_user_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Who made the key"}
    )


class ReachableOrganisationSchema(Schema):
    class Meta:
        name = "ReachableOrganisation"

    id = ma.fields.UUID()
    name = ma.fields.String()
    slug = ma.fields.String()
    role = ma.fields.String(
        metadata={
            "description": "Effective role: for a personal key or a user token, never above "
            "the member's current role"
        }
    )
    scopes = ma.fields.List(ma.fields.String(), metadata={"description": "Effective scopes"})


class MeSchema(Schema):
    class Meta:
        name = "Me"

    kind = ma.fields.String(
        metadata={
            "description": "api_key, user (an OAuth user token) or client (client credentials)"
        }
    )
    user = ma.fields.Nested(
        CallerUserSchema,
        allow_none=True,
        metadata={"description": "The person the caller acts for; null for an organisation key"},
    )
    api_key = ma.fields.Nested(CallerApiKeySchema, allow_none=True)
    organisations = ma.fields.List(ma.fields.Nested(ReachableOrganisationSchema))


@blp.route("")
class Me(MethodView):
    @blp.operation("me_get", tenant=False)
    @blp.response(200, MeSchema)
    def get(self):
        """Who the caller is and which organisations it can reach"""
        caller = service.describe_caller(uow=uow(), principal=current_principal())
        return {
            "kind": caller.principal.kind,
            "user": caller.user,
            "api_key": caller.api_key,
            "organisations": [
                {
                    "id": org.id,
                    "name": org.name,
                    "slug": org.slug,
                    "role": grant.role,
                    "scopes": sorted(grant.effective_scopes),
                }
                for org, grant in caller.organisations
            ],
        }
