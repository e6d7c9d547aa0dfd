import marshmallow as ma

from api.domain.access import ALL_SCOPES
from api.domain.oauth.clients import (
    MAX_URI_LENGTH,
    MAX_URIS,
    OAuthClientChanges,
    OAuthClientDraft,
)
from api.domain.oauth.models import CLIENT_TYPES, GRANT_TYPES
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field

SCOPES = sorted(ALL_SCOPES)


def _uris(description: str) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_URI_LENGTH)),
        validate=ma.validate.Length(max=MAX_URIS),
        metadata={"description": description},
    )


REDIRECT_URIS = (
    "Where the authorization server may send the member back, compared exactly. Absolute "
    "https URLs (http only for localhost and 127.0.0.1), no fragment, no wildcard. Needed "
    "for the authorization_code grant."
)
ALLOWED_ORIGINS = (
    "Browser origins (`https://app.example.com`) of a public client's front end: Clover's "
    "API answers them with CORS headers. Public clients only."
)
ALLOWED_SCOPES = "The most a token of this client may hold (a member's role may allow less)"


class OAuthClientSchema(EntitySchema):
    class Meta:
        name = "OAuthClient"

    client_id = ma.fields.String(
        dump_only=True, metadata={"description": "Public identifier (`clvc_…`)"}
    )
    name = ma.fields.String(dump_only=True)
    client_type = ma.fields.String(dump_only=True)
    redirect_uris = ma.fields.List(ma.fields.String(), dump_only=True)
    allowed_scopes = ma.fields.List(ma.fields.String(), dump_only=True)
    grant_types = ma.fields.List(ma.fields.String(), dump_only=True)
    allowed_origins = ma.fields.List(ma.fields.String(), dump_only=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Also the ETag"})


class OAuthClientCreateSchema(Schema):
    into = OAuthClientDraft

    class Meta:
        name = "OAuthClientCreate"

    name = name_field(
        required=True, metadata={"description": "Shown to members on the consent page"}
    )
    client_type = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(CLIENT_TYPES),
        metadata={
            "description": "confidential: a server that keeps a secret; public: a browser or "
            "native app (no secret, PKCE only)"
        },
    )
    redirect_uris = _uris(REDIRECT_URIS)
    allowed_scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SCOPES)),
        required=True,
        validate=ma.validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": ALLOWED_SCOPES},
    )
    grant_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(GRANT_TYPES)),
        validate=ma.validate.Length(min=1, max=len(GRANT_TYPES)),
        metadata={
            "description": "Default: authorization_code and refresh_token. client_credentials "
            "only for confidential clients; refresh_token only with authorization_code."
        },
    )
    allowed_origins = _uris(ALLOWED_ORIGINS)


class OAuthClientUpdateSchema(Schema):
    into = OAuthClientChanges

    class Meta:
        name = "OAuthClientUpdate"

    name = name_field()
    redirect_uris = _uris(REDIRECT_URIS)
    allowed_scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SCOPES)),
        validate=ma.validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": ALLOWED_SCOPES},
    )
    allowed_origins = _uris(ALLOWED_ORIGINS)


class IssuedOAuthClientSchema(OAuthClientSchema):
    """An OAuth client as registered: the only time its secret is shown."""

    class Meta:
        name = "IssuedOAuthClient"

    client_secret = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Confidential clients: the secret (`clvcs_…`). Shown once; store "
            "it now. Null for public clients, and in an Idempotency-Key replay (secrets "
            "are never stored)."
        },
    )
