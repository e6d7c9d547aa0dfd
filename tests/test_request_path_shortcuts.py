"""The request path's shortcuts give what the general path gives, byte for byte.

The base schema reads plain fields' values in one call (``api.http.schema.Schema``),
and a request without a cookie gets Flask's empty session without a signer
(``api.oauth.LoginSessions``). Each is compared here with the way it stands in for.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import marshmallow as ma
from flask import Flask

from api.http.schema import Schema
from api.oauth import LoginSessions


def shapes(base: type[ma.Schema]) -> list[type[ma.Schema]]:
    """The same schemas on ``base``: Clover's Schema, or marshmallow's own to compare."""

    class Inner(base):
        id = ma.fields.UUID()
        name = ma.fields.String()

    class Shaped(base):
        id = ma.fields.UUID()
        at = ma.fields.DateTime()
        renamed = ma.fields.String(data_key="from")
        dotted = ma.fields.String(attribute="inner.name")
        other_name = ma.fields.Integer(attribute="count")
        defaulted = ma.fields.String(dump_default="none given")
        absent = ma.fields.String()
        computed = ma.fields.Function(lambda obj: f"computed {_get(obj, 'count')}")
        inner = ma.fields.Nested(Inner)
        many = ma.fields.List(ma.fields.Nested(Inner))
        mapping = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())

    class OwnGetValue(ma.fields.String):
        def get_value(self, obj, attr, accessor=None, default=ma.missing):
            return "from get_value"

    class WithOwnField(Shaped):
        overridden = OwnGetValue()

    class OwnAccessor(Shaped):
        def get_attribute(self, obj, attr, default):
            if attr == "renamed":
                return "from the schema"
            return super().get_attribute(obj, attr, default)

    return [Shaped, WithOwnField, OwnAccessor]


def _get(obj, name):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


@dataclass
class Thing:
    id: uuid.UUID
    at: datetime
    renamed: str
    inner: object
    count: int
    many: list = field(default_factory=list)
    mapping: dict = field(default_factory=dict)


def _things():
    inner = Thing(uuid.uuid4(), datetime.now(UTC), "r", None, 0)
    inner.name = "inner name"
    yield Thing(uuid.uuid4(), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "r1", inner, 3, [inner])
    yield Thing(uuid.uuid4(), datetime.now(UTC), "r2", inner, 0, [], {"a": 1})
    yield {
        "id": uuid.uuid4(),
        "at": datetime.now(UTC),
        "renamed": "from a dict",
        "inner": {"id": uuid.uuid4(), "name": "dict inner"},
        "count": 7,
        "absent": None,
        "many": [{"id": uuid.uuid4(), "name": "x"}],
        "mapping": {"b": 2},
    }


def test_dumps_are_marshmallows_key_for_key():
    things = list(_things())
    for ours_class, theirs_class in zip(shapes(Schema), shapes(ma.Schema), strict=True):
        for options in ({}, {"only": ("id", "renamed", "inner")}):
            ours, theirs = ours_class(**options), theirs_class(**options)
            mine = json.dumps(ours.dump(things, many=True), default=str)
            assert mine == json.dumps(theirs.dump(things, many=True), default=str)
            for thing in things:
                mine = json.dumps(ours.dump(thing), default=str)
                assert mine == json.dumps(theirs.dump(thing), default=str)


def test_a_schema_reads_overridden_fields_and_accessors_their_own_way():
    shaped, with_own_field, own_accessor = shapes(Schema)
    thing = next(_things())
    assert with_own_field().dump(thing)["overridden"] == "from get_value"
    assert own_accessor().dump(thing)["from"] == "from the schema"
    assert shaped().dump(thing)["defaulted"] == "none given"
    assert "absent" not in shaped().dump(thing)


def test_a_request_without_a_cookie_gets_flasks_empty_session():
    app = Flask(__name__)
    app.secret_key = "a secret"
    app.session_interface = LoginSessions()

    @app.get("/write")
    def write():
        from flask import session

        session["seen"] = session.get("seen", 0) + 1
        return {"seen": session["seen"]}

    client = app.test_client()
    assert client.get("/write").get_json() == {"seen": 1}  # no cookie: a new session
    assert client.get("/write").get_json() == {"seen": 2}  # its cookie: Flask's own reading
    app.secret_key = None
    assert client.get("/write").status_code == 500  # no key: Flask's null session, as before
