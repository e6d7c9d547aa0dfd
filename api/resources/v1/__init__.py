"""Version 1 of the HTTP API: one package per resource."""

from api.resources.v1 import api_keys, me, members, organisations, signup

BLUEPRINTS = (
    signup.blp,
    me.blp,
    organisations.blp,
    members.blp,
    api_keys.blp,
)
