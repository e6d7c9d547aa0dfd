from flask.views import MethodView

from api.domain.oauth import grants as service
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.oauth_grants.schemas import OAuthGrantFilterSchema, OAuthGrantSchema

blp = Blueprint(
    "oauth-grants",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/oauth-grants",
    description=(
        "Consents members gave OAuth clients to act in this organisation. Revoking one "
        "takes this organisation away from that client's tokens for that member at once."
    ),
)


@blp.route("")
class OAuthGrants(MethodView):
    @blp.operation("oauth_grants_list", scope="admin:read")
    @blp.arguments(OAuthGrantFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(OAuthGrantSchema, "OAuthGrantPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List the consents given to OAuth clients in this organisation"""
        return paged(service.list_grants(uow=uow(), page=page_request(args), **filters))


@blp.route("/<uuid:oauth_grant_id>")
class OAuthGrantById(MethodView):
    @blp.operation("oauth_grants_get", scope="admin:read")
    @blp.response(200, OAuthGrantSchema)
    def get(self, oauth_grant_id):
        """Get a consent"""
        return service.get_grant(uow=uow(), id_=oauth_grant_id)

    @blp.operation("oauth_grants_revoke", scope="admin:write")
    @blp.response(204)
    def delete(self, oauth_grant_id):
        """Revoke a consent; the client loses this organisation for that member at once"""
        service.revoke_grant(uow=uow(), id_=oauth_grant_id)
