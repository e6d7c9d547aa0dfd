import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from api.crypto import cipher_for
from api.domain.channels import sync
from api.domain.channels.connections import PROVIDERS
from api.domain.channels.sync import ConnectionCredentials, ConnectionDraft
from api.domain.outbound import UrlPolicy
from api.domain.publishing.limits import limits_of
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import clover, uow
from api.http.schema import Schema
from api.resources.common import EntitySchema
from api.resources.v1.jobs.schemas import JobSchema

blp = Blueprint(
    "connections",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/channels/<uuid:channel_id>",
    description=(
        "A social channel's connection to its network, and syncing its numbers and "
        "mentions. Credentials are encrypted at rest and never returned."
    ),
)


class CredentialsSchema(Schema):
    into = ConnectionCredentials

    class Meta:
        name = "ConnectionCredentials"

    access_token = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=8192)
    )
    refresh_token = ma.fields.String(load_only=True, validate=ma.validate.Length(max=8192))
    expires_at = ma.fields.AwareDateTime(load_only=True, allow_none=True)


class ConnectionInputSchema(Schema):
    into = ConnectionDraft

    class Meta:
        name = "ConnectionInput"

    provider = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(PROVIDERS),
        metadata={"description": "sandbox (synthetic data, any social kind), mastodon, bluesky"},
    )
    account = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "The handle, e.g. @clover@mastodon.example"},
    )
    base_url = ma.fields.URL(
        allow_none=True,
        validate=ma.validate.Length(max=500),
        metadata={
            "description": (
                "The instance or API base URL, where the network has one. It must be https "
                "(plain http only in development and test) and resolve only to public "
                "addresses (unless CLOVER_CONNECTIONS_ALLOW_PRIVATE): the worker sends the "
                "channel's token there. Checked here (422) and again before every request."
            )
        },
    )
    credentials = ma.fields.Nested(CredentialsSchema, required=True, load_only=True)


class ChannelLimitsSchema(Schema):
    class Meta:
        name = "ChannelLimits"

    max_length = ma.fields.Integer(metadata={"description": "Per post"})
    counting = ma.fields.String(
        metadata={"description": "characters (a link counts as url_length) or graphemes"}
    )
    url_length = ma.fields.Integer(allow_none=True)
    max_media = ma.fields.Integer()
    max_image_bytes = ma.fields.Integer(allow_none=True)
    max_video_bytes = ma.fields.Integer(allow_none=True)
    media_types = ma.fields.List(ma.fields.String())


class EffectiveLimits(ma.fields.Nested):
    """The limits the network last reported, else the provider's documented defaults."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return limits_of(obj.provider, obj.limits)


class ConnectionSchema(EntitySchema):
    class Meta:
        name = "Connection"

    channel_id = ma.fields.UUID()
    provider = ma.fields.String()
    account = ma.fields.String()
    base_url = ma.fields.String(allow_none=True)
    status = ma.fields.String(
        metadata={"description": "connected, needs_reauth (reconnect it) or failing"}
    )
    last_sync_at = ma.fields.DateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_sync_at = ma.fields.DateTime(allow_none=True)
    limits = EffectiveLimits(
        ChannelLimitsSchema,
        metadata={
            "description": "What one post may carry: as the network last reported it (the "
            "publish job refreshes it), else the provider's documented defaults"
        },
    )
    limits_refreshed_at = ma.fields.DateTime(allow_none=True)
    version = ma.fields.Integer()


@blp.route("/connection")
class ChannelConnection(MethodView):
    @blp.operation("connections_get", scope="channels:read")
    @blp.response(200, ConnectionSchema, headers=ETAG_HEADER)
    def get(self, channel_id):
        """The channel's connection (never its credentials)"""
        return saved(sync.get_connection(uow=uow(), channel_id=channel_id))

    @blp.operation("connections_put", scope="channels:write", versioned=True)
    @blp.arguments(ConnectionInputSchema)
    @blp.response(200, ConnectionSchema, headers=ETAG_HEADER)
    def put(self, draft, channel_id):
        """Connect the channel to its network, or replace its connection"""
        settings = clover().settings
        connection = sync.connect(
            uow=uow(),
            channel_id=channel_id,
            draft=draft,
            cipher=cipher_for(settings),
            policy=UrlPolicy.of_environment(
                settings.environment, allow_private=settings.connections_allow_private
            ),
            expected_version=expected_version(),
        )
        return saved(connection)

    @blp.operation("connections_delete", scope="channels:write")
    @blp.response(204)
    def delete(self, channel_id):
        """Disconnect the channel and forget its credentials (synced data stays)"""
        sync.disconnect(uow=uow(), channel_id=channel_id)


LOCATION = {"Location": {"description": "The sync's job", "schema": {"type": "string"}}}


@blp.route("/sync")
class SyncChannel(MethodView):
    @blp.operation("channels_sync", scope="channels:write")
    @blp.response(202, JobSchema, headers=LOCATION)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, channel_id):
        """Sync the channel now

        Answers 202 with the job. Channels also sync on their own at a regular
        interval; a sync already waiting for the channel is not queued twice.
        """
        job = sync.request_sync(uow=uow(), channel_id=channel_id)
        location = url_for(
            "jobs.JobById", organisation_id=uow().tenant.organisation_id, job_id=job.id
        )
        return job, 202, {"Location": location}
