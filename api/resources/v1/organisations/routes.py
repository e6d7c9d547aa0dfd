from flask import url_for
from flask.views import MethodView

from api.domain.oauth.grants import create_organisation_for_user
from api.domain.organisations import service
from api.http.blueprint import ETAG_HEADER, Blueprint, etag, expected_version
from api.http.context import bearer_token, current_principal, uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.organisations.schemas import OrganisationSchema, OrganisationUpdateSchema

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/v1/organisations",
    description="Organisations (tenants) the caller can reach.",
)


@blp.route("")
class Organisations(MethodView):
    @blp.operation("organisations_list", tenant=False)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(OrganisationSchema, "OrganisationPage"), headers=LINK_HEADER)
    def get(self, args):
        """List the organisations the caller can reach"""
        return paged(
            service.list_organisations(
                uow=uow(), principal=current_principal(), page=page_request(args)
            )
        )

    @blp.operation("organisations_create", tenant=False, idempotent=True)
    @blp.arguments(OrganisationSchema)
    @blp.response(201, OrganisationSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, data):
        """Create an organisation owned by the signed-in user (OAuth user tokens only)

        The user becomes its owner; their consent for the calling client is recorded
        (the owner's scopes the client may have), and the calling access token reaches
        the new organisation at once with the token's own scopes (so do the tokens
        refreshed from it). API keys and client-credentials tokens belong to one
        organisation and get 403.
        """
        organisation = create_organisation_for_user(
            uow=uow(), principal=current_principal(), access_token=bearer_token(), draft=data
        )
        location = url_for("organisations.OrganisationById", organisation_id=organisation.id)
        return organisation, 201, {"ETag": etag(organisation), "Location": location}


@blp.route("/<uuid:organisation_id>")
class OrganisationById(MethodView):
    @blp.operation("organisations_get")
    @blp.response(200, OrganisationSchema, headers=ETAG_HEADER)
    def get(self):
        """Get an organisation"""
        organisation = service.get_organisation(uow=uow())
        return organisation, 200, {"ETag": etag(organisation)}

    @blp.operation("organisations_update", scope="admin:write", versioned=True)
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema, headers=ETAG_HEADER)
    def patch(self, changes):
        """Update an organisation's settings (owners and admins)"""
        organisation = service.update_organisation(
            uow=uow(), changes=changes, expected_version=expected_version()
        )
        return organisation, 200, {"ETag": etag(organisation)}
