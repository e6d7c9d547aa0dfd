"""Liveness and readiness, outside /v1 and without credentials."""

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import text

from api.http.blueprint import Blueprint
from api.http.context import clover
from api.http.schema import Schema

blp = Blueprint("health", __name__, description="Process and dependency health.")


class HealthSchema(Schema):
    class Meta:
        name = "Health"

    status = ma.fields.String(metadata={"description": "ok or unavailable"})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


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
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A dependency is unreachable")
    def get(self):
        """The database and Redis (when configured) are reachable"""
        ext = clover()
        checks = {"database": _check(lambda: _ping_database(ext))}
        if ext.settings.redis_url:
            checks["redis"] = _check(lambda: ext.jobs.connection.ping())
        else:
            checks["redis"] = "not configured (jobs run in-process)"
        ok = all(v == "ok" or v.startswith("not configured") for v in checks.values())
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


def _ping_database(ext) -> None:
    with ext.database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:  # any failure means "not ready"; say which
        return f"error: {type(error).__name__}"
    return "ok"
