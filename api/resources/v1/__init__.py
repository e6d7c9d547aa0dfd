"""Version 1 of the HTTP API: one package per resource."""

from api.resources.v1 import (
    api_keys,
    audiences,
    audit_events,
    kpis,
    me,
    members,
    metric_definitions,
    objectives,
    organisations,
    readiness,
    signup,
    strategies,
    team_resources,
)

BLUEPRINTS = (
    signup.blp,
    me.blp,
    organisations.blp,
    members.blp,
    api_keys.blp,
    strategies.blp,
    objectives.blp,
    kpis.blp,
    audiences.blp,
    team_resources.blp,
    readiness.blp,
    audit_events.blp,
    metric_definitions.blp,
)
