from flask import url_for
from flask.views import MethodView

from api.domain.oauth import clients as service
from api.http import cors
from api.http.blueprint import ETAG_HEADER, Blueprint, etag, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.oauth_clients.schemas import (
    IssuedOAuthClientSchema,
    OAuthClientCreateSchema,
    OAuthClientSchema,
    OAuthClientUpdateSchema,
)

blp = Blueprint(
    "oauth-clients",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/oauth-clients",
    description=(
        "OAuth clients this organisation registers (its front ends, an agency's tools). "
        "A confidential client's secret is shown once and stored only as a hash; "
        "revoking a client revokes all its tokens at once."
    ),
)


def issued(result) -> dict:
    fields = {name: getattr(result.client, name) for name in OAuthClientSchema._declared_fields}
    return {**fields, "client_secret": result.secret}


@blp.route("")
class OAuthClients(MethodView):
    @blp.operation("oauth_clients_list", scope="admin:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(OAuthClientSchema, "OAuthClientPage"), headers=LINK_HEADER)
    def get(self, args):
        """List OAuth clients (never their secrets)"""
        return paged(service.list_clients(uow=uow(), page=page_request(args)))

    @blp.operation("oauth_clients_create", scope="admin:write", idempotent=True)
    @blp.arguments(OAuthClientCreateSchema)
    @blp.response(201, IssuedOAuthClientSchema, headers=ETAG_HEADER)
    def post(self, data):
        """Register an OAuth client; the response holds its secret, shown once"""
        result = service.create_client(uow=uow(), draft=data)
        cors.forget_origins()
        location = url_for(
            "oauth-clients.OAuthClientById",
            organisation_id=uow().tenant.organisation_id,
            oauth_client_id=result.client.id,
        )
        return issued(result), 201, {"Location": location, "ETag": etag(result.client)}


@blp.route("/<uuid:oauth_client_id>")
class OAuthClientById(MethodView):
    @blp.operation("oauth_clients_get", scope="admin:read")
    @blp.response(200, OAuthClientSchema, headers=ETAG_HEADER)
    def get(self, oauth_client_id):
        """Get an OAuth client (without its secret)"""
        return saved(service.get_client(uow=uow(), id_=oauth_client_id))

    @blp.operation("oauth_clients_update", scope="admin:write", versioned=True)
    @blp.arguments(OAuthClientUpdateSchema)
    @blp.response(200, OAuthClientSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, oauth_client_id):
        """Update an OAuth client's name, redirect URIs, scopes or origins"""
        client = service.update_client(
            uow=uow(), id_=oauth_client_id, changes=changes, expected_version=expected_version()
        )
        cors.forget_origins()
        return saved(client)

    @blp.operation("oauth_clients_revoke", scope="admin:write")
    @blp.response(204)
    def delete(self, oauth_client_id):
        """Revoke an OAuth client; it and all its tokens stop working at once"""
        service.revoke_client(uow=uow(), id_=oauth_client_id)
        cors.forget_origins()
