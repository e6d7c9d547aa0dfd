import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from api.domain.identity.secrets import MIN_PASSWORD_LENGTH
from api.domain.invitations.service import MAX_TOKEN_LENGTH
from api.domain.signup import SignupDraft, signup
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.schema import Schema
from api.resources.common import name_field
from api.resources.v1.api_keys.routes import issued
from api.resources.v1.api_keys.schemas import IssuedApiKeySchema
from api.resources.v1.me.routes import CallerUserSchema
from api.resources.v1.organisations.schemas import OrganisationSchema

blp = Blueprint("signup", __name__, url_prefix="/v1/signup", description="Creating an account.")


class SignupSchema(Schema):
    into = SignupDraft

    class Meta:
        name = "Signup"

    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = name_field(required=True)
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=MIN_PASSWORD_LENGTH, max=1024),
    )
    organisation_name = name_field(
        metadata={"description": "The new organisation; required unless invitation_token is sent"}
    )
    invitation_token = ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(min=1, max=MAX_TOKEN_LENGTH),
        metadata={
            "description": (
                "Sign up into the organisation that invited this email (with the invited "
                "role); no organisation is created"
            )
        },
    )


class SignupResultSchema(Schema):
    class Meta:
        name = "SignupResult"

    user = ma.fields.Nested(CallerUserSchema)
    organisation = ma.fields.Nested(OrganisationSchema)
    api_key = ma.fields.Nested(IssuedApiKeySchema)


@blp.route("")
class Signup(MethodView):
    @blp.operation("signup_create", public=True, tenant=False)
    @blp.arguments(SignupSchema)
    @blp.response(201, SignupResultSchema)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(410, response="GONE")
    def post(self, data):
        """Sign up: a user, their organisation (or an invitation's) and a first API key

        Without an invitation: a new organisation they own and an owner key. With
        ``invitation_token`` (sent to this email): membership of the inviting
        organisation with the invited role, a key with that role, and no new
        organisation. An invitation accepted already is a 409, a revoked or expired
        one a 410, an unknown one or one for another email a 422.
        """
        result = signup(uow=uow(), draft=data)
        location = url_for("organisations.OrganisationById", organisation_id=result.organisation.id)
        body = {
            "user": result.user,
            "organisation": result.organisation,
            "api_key": issued(result.issued),
        }
        return body, 201, {"Location": location}
