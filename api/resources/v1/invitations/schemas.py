import marshmallow as ma

from api.domain.invitations.models import STATUSES
from api.domain.invitations.service import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    MAX_TOKEN_LENGTH,
    InvitationDraft,
)
from api.http.schema import Schema
from api.resources.common import EntitySchema
from api.resources.v1.members.schemas import ROLE, MemberSchema

STATUS_DESCRIPTION = (
    "pending, accepted, revoked or expired (derived: an invitation expires by the clock)"
)


class InvitationSchema(EntitySchema):
    class Meta:
        name = "Invitation"

    email = ma.fields.String(dump_only=True)
    role = ma.fields.String(dump_only=True)
    status = ma.fields.String(
        dump_only=True,
        validate=ma.validate.OneOf(STATUSES),
        metadata={"description": STATUS_DESCRIPTION},
    )
    expires_at = ma.fields.DateTime(dump_only=True)
    invited_by_user_id = ma.fields.UUID(dump_only=True, allow_none=True)
    accepted_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    accepted_by_user_id = ma.fields.UUID(dump_only=True, allow_none=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class IssuedInvitationSchema(InvitationSchema):
    class Meta:
        name = "IssuedInvitation"

    token = ma.fields.String(
        dump_only=True,
        allow_none=True,  # an Idempotency-Key replay answers it null (never stored)
        metadata={
            "description": (
                "The one-time token, shown only in this response: send it to the invitee "
                "(e.g. in a link to your accept page). A replay of the create answers null."
            )
        },
    )


class InvitationCreateSchema(Schema):
    into = InvitationDraft

    class Meta:
        name = "InvitationCreate"

    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    role = ROLE
    expires_in_days = ma.fields.Integer(
        load_default=DEFAULT_EXPIRY_DAYS,
        validate=ma.validate.Range(min=1, max=MAX_EXPIRY_DAYS),
        metadata={"description": f"Days until it expires, 1 to {MAX_EXPIRY_DAYS}"},
    )


class InvitationFilterSchema(Schema):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))


TOKEN = ma.fields.String(
    required=True,
    load_only=True,
    validate=ma.validate.Length(min=1, max=MAX_TOKEN_LENGTH),
    metadata={"description": "The invitation's one-time token"},
)


class InvitationAcceptSchema(Schema):
    class Meta:
        name = "InvitationAccept"

    token = TOKEN


class AcceptedInvitationSchema(MemberSchema):
    class Meta:
        name = "AcceptedInvitation"

    organisation_id = ma.fields.UUID(dump_only=True)
