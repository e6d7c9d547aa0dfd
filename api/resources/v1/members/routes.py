from flask.views import MethodView

from api.domain.organisations import service
from api.http.blueprint import ETAG_HEADER, Blueprint, etag, expected_version
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.members.schemas import MemberSchema, MemberUpdateSchema

blp = Blueprint(
    "members",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/members",
    description=(
        "People in an organisation and their roles. Owners and admins manage them; "
        "people join by accepting an invitation."
    ),
)


@blp.route("")
class Members(MethodView):
    @blp.operation("members_list", scope="admin:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(MemberSchema, "MemberPage"), headers=LINK_HEADER)
    def get(self, args):
        """List members"""
        return paged(service.list_members(uow=uow(), page=page_request(args)))


@blp.route("/<uuid:membership_id>")
class MemberById(MethodView):
    @blp.operation("members_get", scope="admin:read")
    @blp.response(200, MemberSchema, headers=ETAG_HEADER)
    def get(self, membership_id):
        """Get a member"""
        member = service.get_member(uow=uow(), membership_id=membership_id)
        return member, 200, {"ETag": etag(member)}

    @blp.operation("members_update", scope="admin:write", versioned=True)
    @blp.arguments(MemberUpdateSchema)
    @blp.response(200, MemberSchema, headers=ETAG_HEADER)
    def patch(self, changes, membership_id):
        """Change a member's role (the last owner cannot be demoted)"""
        member = service.change_role(
            uow=uow(),
            membership_id=membership_id,
            changes=changes,
            expected_version=expected_version(),
        )
        return member, 200, {"ETag": etag(member)}

    @blp.operation("members_delete", scope="admin:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, membership_id):
        """Remove a member (the last owner cannot be removed)"""
        service.remove_member(uow=uow(), membership_id=membership_id)
