from flask import send_file, url_for
from flask.views import MethodView

from api.domain.media import rules, service
from api.domain.media.models import MIME_TYPES
from api.domain.media.rules import SizeLimits
from api.http.blueprint import ETAG_HEADER, body_limit, expected_version, saved
from api.http.context import clover, uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.http.uploads import UploadBlueprint
from api.resources.v1.media.schemas import (
    MediaFilterSchema,
    MediaSchema,
    MediaUpdateSchema,
    MediaUploadSchema,
)

blp = UploadBlueprint(
    "media",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/media",
    description=(
        "Images and videos a content item can carry, with alt text. The type is read from "
        "the bytes; images are checked to decode and their width and height are kept."
    ),
)
# Room for the multipart framing and the alt text around the largest file allowed.
UPLOAD_OVERHEAD = 65_536
LOCATION_HEADER = {"Location": {"description": "The new medium", "schema": {"type": "string"}}}
CONTENT_RESPONSE = {
    "description": "The bytes, as the sniffed type, always as an attachment",
    "content": {mime: {"schema": {"type": "string", "format": "binary"}} for mime in MIME_TYPES},
    "headers": {
        "Content-Disposition": {
            "description": "`attachment`, named after the medium's id and its type",
            "schema": {"type": "string"},
        },
        "X-Content-Type-Options": {"description": "`nosniff`", "schema": {"type": "string"}},
    },
}
# Uploaded bytes are only ever downloaded: should a browser show them, nothing in them runs.
CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def _limits() -> SizeLimits:
    settings = clover().settings
    return SizeLimits(image=settings.max_image_bytes, video=settings.max_video_bytes)


def _largest_upload() -> int:
    limits = _limits()
    return max(limits.image, limits.video) + UPLOAD_OVERHEAD


@blp.route("")
class MediaCollection(MethodView):
    @blp.operation("media_list", scope="content:read")
    @blp.arguments(MediaFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(MediaSchema, "MediaPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List media, newest first"""
        return paged(service.list_media(uow=uow(), page=page_request(args), **filters))

    @blp.operation("media_create", scope="content:write")
    @body_limit(_largest_upload)
    @blp.arguments(MediaUploadSchema, location="multipart")
    @blp.response(201, MediaSchema, headers={**ETAG_HEADER, **LOCATION_HEADER})
    def post(self, draft):
        """Upload an image or a video

        A `multipart/form-data` body with the file as `file` and, for an image (where it
        is required), its description as `alt_text`. The type is read from the bytes,
        whatever the file's name or part's Content-Type say: anything but JPEG, PNG, GIF,
        WebP, MP4 or MOV is a 422 naming `file`, and so is an image that does not decode
        or has more pixels than a decompression bomb check allows. A file over its kind's
        limit is a 413. No `Idempotency-Key`: a repeated upload is another medium.
        """
        media = service.create_media(
            uow=uow(), draft=draft, storage=clover().media, limits=_limits()
        )
        location = url_for(
            "media.MediaById", organisation_id=uow().tenant.organisation_id, media_id=media.id
        )
        return saved(media, 201, location)


@blp.route("/<uuid:media_id>")
class MediaById(MethodView):
    @blp.operation("media_get", scope="content:read")
    @blp.response(200, MediaSchema, headers=ETAG_HEADER)
    def get(self, media_id):
        """Get a medium"""
        return saved(service.get_media(uow=uow(), media_id=media_id))

    @blp.operation("media_update", scope="content:write", versioned=True)
    @blp.arguments(MediaUpdateSchema)
    @blp.response(200, MediaSchema, headers=ETAG_HEADER)
    def patch(self, changes, media_id):
        """Change a medium's alt text"""
        return saved(
            service.update_media(
                uow=uow(), media_id=media_id, changes=changes, expected_version=expected_version()
            )
        )

    @blp.operation("media_delete", scope="content:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, media_id):
        """Delete a medium and its file"""
        service.delete_media(uow=uow(), media_id=media_id, storage=clover().media)


@blp.route("/<uuid:media_id>/content")
class MediaContent(MethodView):
    @blp.operation("media_get_content", scope="content:read")
    @blp.doc(responses={200: CONTENT_RESPONSE})
    @blp.alt_response(410, response="GONE")
    def get(self, media_id):
        """Download a medium's bytes

        Served as the type sniffed at upload, as an attachment named after the medium
        (never the uploaded file's name), with `X-Content-Type-Options: nosniff`.
        """
        media, content = service.open_media_content(
            uow=uow(), media_id=media_id, storage=clover().media
        )
        response = send_file(
            content,
            mimetype=media.mime_type,
            as_attachment=True,
            download_name=rules.download_name(media.id, media.mime_type),
            conditional=False,
            etag=False,
        )
        response.content_length = media.size_bytes
        response.cache_control.private = True
        response.headers.update(CONTENT_HEADERS)
        return response
