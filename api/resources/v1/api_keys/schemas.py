import marshmallow as ma

from api.domain.access import ALL_SCOPES, KEY_KINDS, ROLES
from api.domain.identity.service import ApiKeyDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


class ApiKeySchema(EntitySchema):
    class Meta:
        name = "ApiKey"

    name = ma.fields.String(dump_only=True)
    kind = ma.fields.String(
        dump_only=True,
        validate=ma.validate.OneOf(KEY_KINDS),
        metadata={
            "description": "personal (acts for its member, at most with their current role; "
            "revoked when they leave) or organisation (for servers; survives its creator)"
        },
    )
    prefix = ma.fields.String(
        dump_only=True, metadata={"description": "Visible part of the key, to recognise it"}
    )
    role = ma.fields.String(dump_only=True)
    scopes = ma.fields.List(ma.fields.String(), dump_only=True)
    expires_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_by_user_id = ma.fields.UUID(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Who made the key: for a personal key, the member it acts for"},
    )


class ApiKeyCreateSchema(Schema):
    into = ApiKeyDraft

    class Meta:
        name = "ApiKeyCreate"

    name = name_field(required=True)
    kind = ma.fields.String(
        validate=ma.validate.OneOf(KEY_KINDS),
        metadata={
            "description": "Default personal: acts for the calling member. organisation: for "
            "servers, made by owners and admins only; the only kind a caller that is not a "
            "member (an organisation key, a machine client) can create"
        },
    )
    role = ma.fields.String(
        validate=ma.validate.OneOf(ROLES),
        metadata={"description": "Role the key acts with; default and maximum: the creator's"},
    )
    scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(sorted(ALL_SCOPES))),
        validate=ma.validate.Length(max=len(ALL_SCOPES)),
        metadata={"description": "Default: every scope of the role; only scopes the role can use"},
    )
    expires_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "RFC 3339 time; none means no expiry"}
    )


class IssuedApiKeySchema(ApiKeySchema):
    """An API key as created: the only time the secret is shown."""

    class Meta:
        name = "IssuedApiKey"

    token = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The secret bearer token. Shown once; store it now. Null when "
            "the response is an Idempotency-Key replay (secrets are never stored)."
        },
    )
