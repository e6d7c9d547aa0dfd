"""Liveness and readiness, outside /v1 and without credentials."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from api.http.blueprint import Blueprint
from api.http.context import clover
from api.http.schema import Schema
from api.observability import readiness

blp = Blueprint("health", __name__, description="Process and dependency health.")
HEADS = "clover.schema_heads"


class HealthSchema(Schema):
    class Meta:
        name = "Health"

    status = ma.fields.String(metadata={"description": "ok or unavailable"})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class DependencyCheckSchema(Schema):
    class Meta:
        name = "DependencyCheck"

    ok = ma.fields.Boolean(required=True)
    detail = ma.fields.String(required=True, metadata={"description": "What was found"})


class MigrationsCheckSchema(DependencyCheckSchema):
    class Meta:
        name = "MigrationsCheck"

    current = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The database's revision(s) (null: never migrated, or unread)"},
    )
    head = ma.fields.String(
        required=True, metadata={"description": "The revision(s) this code's migrations end at"}
    )


class ServiceReadinessChecksSchema(Schema):
    class Meta:
        name = "ServiceReadinessChecks"

    database = ma.fields.Nested(DependencyCheckSchema, required=True)
    redis = ma.fields.Nested(DependencyCheckSchema, required=True)
    migrations = ma.fields.Nested(MigrationsCheckSchema, required=True)


class ServiceReadinessSchema(Schema):
    class Meta:
        name = "ServiceReadiness"

    status = ma.fields.String(required=True, metadata={"description": "ok or unavailable"})
    checks = ma.fields.Nested(ServiceReadinessChecksSchema, required=True)


def init_app(app) -> None:
    """Read the migration head(s) once, at start."""
    app.extensions[HEADS] = readiness.schema_heads(app.extensions["clover"].settings)


@blp.route("/healthz")
class Live(MethodView):
    @blp.operation("health_live", public=True, tenant=False)
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is alive"""
        return {"status": "ok", "checks": {}}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.operation("health_ready", public=True, tenant=False)
    @blp.response(200, ServiceReadinessSchema)
    @blp.alt_response(
        503,
        schema=ServiceReadinessSchema,
        description="A dependency is unreachable, or the database is not at the migrations' head",
    )
    def get(self):
        """The database (at the migrations' head) and Redis (when configured) are reachable"""
        ext = clover()
        connection = ext.jobs.connection if ext.settings.redis_url else None
        body, ready = readiness.report(
            ext.database.engine, current_app.extensions[HEADS], connection
        )
        return body, 200 if ready else 503
