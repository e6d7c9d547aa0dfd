"""multipart/form-data uploads: files and form fields parsed (and documented) as one body.

flask-smorest documents only one request body per operation, so the ``files`` and
``form`` locations cannot be combined. ``UploadBlueprint`` adds a ``multipart``
location that reads both, documented as one ``multipart/form-data`` schema.
"""

from __future__ import annotations

import marshmallow as ma
from werkzeug.datastructures import CombinedMultiDict

from api.http.blueprint import Blueprint
from api.http.json_types import TypedJsonParser
from api.http.jsonbody import TOO_DEEP, TooDeep, loads
from api.http.schema import refuse_unusable


class MultipartParser(TypedJsonParser):
    __location_map__ = {**TypedJsonParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class UploadBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }


MAX_JSON_PART = 65_536


class JsonNested(ma.fields.Nested):
    """A nested object sent as a JSON text (a multipart form field)."""

    default_error_messages = {"invalid_json": "Not valid JSON.", "too_deep": TOO_DEEP}

    def _deserialize(self, value, attr, data, **kwargs):
        if hasattr(value, "stream"):  # sent as a file part (curl -F 'mapping=@m.json')
            value = value.stream.read(MAX_JSON_PART + 1)
            if len(value) > MAX_JSON_PART:
                raise self.make_error("invalid_json")
        if isinstance(value, str | bytes):
            try:
                value = loads(value)
            except TooDeep as error:
                raise self.make_error("too_deep") from error
            except ValueError as error:
                raise self.make_error("invalid_json") from error
            refuse_unusable(value)  # checked here: the outer load saw only its JSON text
        return super()._deserialize(value, attr, data, **kwargs)
