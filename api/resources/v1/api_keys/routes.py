from flask import url_for
from flask.views import MethodView

from api.domain.identity import service
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.api_keys.schemas import ApiKeyCreateSchema, ApiKeySchema, IssuedApiKeySchema

blp = Blueprint(
    "api-keys",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/api-keys",
    description=(
        "API keys of an organisation: personal keys act for the member who made them (never "
        "above that member's current role, dead once they leave); organisation keys are for "
        "servers and survive their creator. Secrets are shown once and stored only as hashes."
    ),
)


def issued(issued_key) -> dict:
    return {**vars_of(issued_key.api_key), "token": issued_key.token}


def vars_of(key) -> dict:
    return {name: getattr(key, name) for name in ApiKeySchema._declared_fields}


@blp.route("")
class ApiKeys(MethodView):
    @blp.operation("api_keys_list", scope="admin:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(ApiKeySchema, "ApiKeyPage"), headers=LINK_HEADER)
    def get(self, args):
        """List API keys (never their secrets)"""
        return paged(service.list_api_keys(uow=uow(), page=page_request(args)))

    @blp.operation("api_keys_create", scope="admin:write", idempotent=True)
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, IssuedApiKeySchema)
    def post(self, data):
        """Create an API key; the response holds its secret, shown once"""
        result = service.create_api_key(uow=uow(), draft=data)
        location = url_for(
            "api-keys.ApiKeyById",
            organisation_id=uow().tenant.organisation_id,
            api_key_id=result.api_key.id,
        )
        return issued(result), 201, {"Location": location}


@blp.route("/<uuid:api_key_id>")
class ApiKeyById(MethodView):
    @blp.operation("api_keys_get", scope="admin:read")
    @blp.response(200, ApiKeySchema)
    def get(self, api_key_id):
        """Get an API key (without its secret)"""
        return service.get_api_key(uow=uow(), key_id=api_key_id)

    @blp.operation("api_keys_revoke", scope="admin:write")
    @blp.response(204)
    def delete(self, api_key_id):
        """Revoke an API key; it stops working at once"""
        service.revoke_api_key(uow=uow(), key_id=api_key_id)


@blp.route("/<uuid:api_key_id>/rotate")
class ApiKeyRotation(MethodView):
    @blp.operation("api_keys_rotate", scope="admin:write")
    @blp.response(200, IssuedApiKeySchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, api_key_id):
        """Give an API key a new secret, shown once; the old secret stops working at once

        Organisation keys are rotated by owners and admins, a personal key only by the
        member it acts for. Sending it again rotates again (the secret shown before is
        then dead too), so it takes no Idempotency-Key.
        """
        return issued(service.rotate_api_key(uow=uow(), key_id=api_key_id))
