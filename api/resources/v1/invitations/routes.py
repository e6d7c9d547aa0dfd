from flask import url_for
from flask.views import MethodView

from api.domain.invitations import service
from api.http.blueprint import Blueprint
from api.http.context import clover, current_principal, uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.invitations.schemas import (
    AcceptedInvitationSchema,
    InvitationAcceptSchema,
    InvitationCreateSchema,
    InvitationFilterSchema,
    InvitationSchema,
    IssuedInvitationSchema,
)

blp = Blueprint(
    "invitations",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/invitations",
    description=(
        "Invitations: the way people join an organisation. The one-time token is shown "
        "once, to the owner or admin who invites, and stored only as a hash."
    ),
)
accept_blp = Blueprint(
    "invitation-acceptance",
    __name__,
    url_prefix="/v1/invitations",
    description="Accepting an invitation as the signed-in person it was sent to.",
)


def _url(invitation) -> str:
    return url_for(
        "invitations.InvitationById",
        organisation_id=invitation.organisation_id,
        invitation_id=invitation.id,
    )


@blp.route("")
class Invitations(MethodView):
    @blp.operation("invitations_list", scope="admin:read")
    @blp.arguments(InvitationFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(InvitationSchema, "InvitationPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List invitations, newest first, filtered by status (never their tokens)"""
        return paged(service.list_invitations(uow=uow(), page=page_request(args), **filters))

    @blp.operation("invitations_create", scope="admin:write", idempotent=True)
    @blp.arguments(InvitationCreateSchema)
    @blp.response(201, IssuedInvitationSchema)
    def post(self, data):
        """Invite someone by email with a role; the response holds the token, shown once

        Nobody grants above their own role (403). The answer is the same whether or
        not the email has an account or is already a member.
        """
        result = service.create_invitation(
            uow=uow(),
            draft=data,
            accept_url_template=clover().settings.invitation_accept_url or None,
        )
        body = {"token": result.token}
        for name in InvitationSchema._declared_fields:
            body[name] = getattr(result.invitation, name)
        return body, 201, {"Location": _url(result.invitation)}


@blp.route("/<uuid:invitation_id>")
class InvitationById(MethodView):
    @blp.operation("invitations_get", scope="admin:read")
    @blp.response(200, InvitationSchema)
    def get(self, invitation_id):
        """Get an invitation (without its token)"""
        return service.get_invitation(uow=uow(), invitation_id=invitation_id)

    @blp.operation("invitations_revoke", scope="admin:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, invitation_id):
        """Revoke an invitation; its token stops working at once (an accepted one is a 409)"""
        service.revoke_invitation(uow=uow(), invitation_id=invitation_id)


@accept_blp.route("/accept")
class AcceptInvitation(MethodView):
    @accept_blp.operation("invitations_accept", tenant=False)
    @accept_blp.arguments(InvitationAcceptSchema)
    @accept_blp.response(201, AcceptedInvitationSchema)
    @accept_blp.alt_response(403, response="FORBIDDEN")
    @accept_blp.alt_response(404, response="NOT_FOUND")
    @accept_blp.alt_response(409, response="CONFLICT")
    @accept_blp.alt_response(410, response="GONE")
    def post(self, data):
        """Accept an invitation to one's own email: the caller becomes a member

        Needs a person's credential (a user's API key or OAuth user token; a client's
        is 403). An unknown token and one sent to another email are the same 404.
        Accepted already, or already a member: 409. Revoked or expired: 410.
        """
        membership = service.accept_invitation(
            uow=uow(), token=data["token"], principal=current_principal()
        )
        location = url_for(
            "members.MemberById",
            organisation_id=membership.organisation_id,
            membership_id=membership.id,
        )
        return membership, 201, {"Location": location}
