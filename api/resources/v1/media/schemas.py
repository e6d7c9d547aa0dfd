import marshmallow as ma
from flask_smorest.fields import Upload as UploadField

from api.domain.media.models import KINDS, MAX_ALT_TEXT, MIME_TYPES, STATUSES
from api.domain.media.service import MediaChanges, MediaDraft, Upload
from api.http.schema import Schema
from api.resources.common import EntitySchema

ALT_TEXT = (
    f"What the medium shows, for people who cannot see it: at most {MAX_ALT_TEXT:,} characters "
    "(the strictest network's limit), required for images, trimmed"
)


class MediaFile(UploadField):
    default_error_messages = {"invalid": "Must be a file part."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not hasattr(value, "stream"):
            raise self.make_error("invalid")
        return Upload(content=value.stream, file_name=value.filename)


def _alt_text(**kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(max=MAX_ALT_TEXT), metadata={"description": ALT_TEXT}, **kwargs
    )


class MediaSchema(EntitySchema):
    class Meta:
        name = "Media"

    kind = ma.fields.String(dump_only=True, metadata={"enum": list(KINDS)})
    mime_type = ma.fields.String(
        dump_only=True,
        metadata={"description": "Sniffed from the bytes", "enum": list(MIME_TYPES)},
    )
    size_bytes = ma.fields.Integer(dump_only=True)
    width = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Pixels; null for videos"}
    )
    height = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Pixels; null for videos"}
    )
    alt_text = _alt_text(dump_only=True)
    file_name = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The name the file was uploaded with, without its folders"},
    )
    sha256 = ma.fields.String(
        dump_only=True, metadata={"description": "SHA-256 of the bytes, in hexadecimal"}
    )
    status = ma.fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    created_by_user_id = ma.fields.UUID(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The member who uploaded it (null for an organisation key)"},
    )
    version = ma.fields.Integer(dump_only=True)


class MediaUploadSchema(Schema):
    into = MediaDraft

    class Meta:
        name = "MediaUpload"

    file = MediaFile(
        required=True,
        metadata={
            "description": "A JPEG, PNG, GIF or WebP image (at most 8 MiB by default, "
            "CLOVER_MAX_IMAGE_BYTES) or an MP4 or MOV video (100 MiB, CLOVER_MAX_VIDEO_BYTES); "
            "the type is read from the bytes"
        },
    )
    alt_text = _alt_text()


class MediaUpdateSchema(Schema):
    into = MediaChanges

    class Meta:
        name = "MediaUpdate"

    alt_text = _alt_text()


class MediaFilterSchema(Schema):
    kind = ma.fields.String(
        validate=ma.validate.OneOf(KINDS), metadata={"description": "Only images or only videos"}
    )
