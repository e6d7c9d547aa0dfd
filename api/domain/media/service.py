"""Media: the images and videos a content item can carry, checked as they are uploaded.

A medium is a row and a file in media storage. The file is stored before the row
is committed and removed when the commit fails, so a failed upload leaves neither;
a deleted medium's file is removed once its row is gone. A file left behind (a
process that died between the two, a removal that failed and was logged) is named
by no row and never served.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version, new_id
from api.domain.content_items.models import ContentItemMedia
from api.domain.errors import Conflict, Gone
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.media import rules
from api.domain.media.models import MIME_TYPES, Media
from api.domain.media.rules import SizeLimits
from api.domain.media.storage import MediaStorage, storage_key
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

log = logging.getLogger("clover.media")
HASH_BUFFER = 1 << 20


@dataclass(frozen=True)
class Upload:
    """An uploaded file: its bytes (a seekable stream) and the name the client gave it."""

    content: BinaryIO
    file_name: str | None


@dataclass(frozen=True, kw_only=True)
class MediaChanges(Changes):
    alt_text: str | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class MediaDraft(MediaChanges, Draft):
    file: Upload


def create_media(
    *, uow: UnitOfWork, draft: MediaDraft, storage: MediaStorage, limits: SizeLimits
) -> Media:
    """Check an upload (type from its bytes, size, alt text, an image's pixels) and keep it."""
    content = draft.file.content
    mime = rules.sniff(content)
    kind = MIME_TYPES[mime]
    size = content.seek(0, os.SEEK_END)
    rules.check_size(kind, size, limits)
    alt_text = rules.checked_alt_text(kind, draft.or_("alt_text", ""))
    width = height = None
    if kind == "image":
        content.seek(0)
        width, height = rules.image_dimensions(content, mime)
    media_id = new_id()
    media = Media(
        id=media_id,
        kind=kind,
        mime_type=mime,
        size_bytes=size,
        width=width,
        height=height,
        alt_text=alt_text,
        file_name=rules.base_name(draft.file.file_name),
        sha256=_sha256(content),
        storage_key=storage_key(uow.tenant.organisation_id, media_id),
        created_by_user_id=uow.tenant.principal.user_id,
    )
    content.seek(0)
    storage.save(media.storage_key, content)
    try:
        uow.session.add(media)
        uow.commit()
    except BaseException:
        _remove(storage, media.storage_key)
        raise
    return media


def list_media(*, uow: UnitOfWork, page: PageRequest, kind: str | None = None) -> Page[Media]:
    stmt = select(Media)
    if kind is not None:
        stmt = stmt.where(Media.kind == kind)
    return paginate(uow.session, stmt, Media.id, page, newest_first=True)


def get_media(*, uow: UnitOfWork, media_id: uuid.UUID) -> Media:
    return tenancy.get(uow.session, Media, media_id, what="media")


def update_media(
    *,
    uow: UnitOfWork,
    media_id: uuid.UUID,
    changes: MediaChanges,
    expected_version: int | None,
) -> Media:
    media = get_media(uow=uow, media_id=media_id)
    check_version(media, expected_version)
    if changes.sent("alt_text"):
        media.alt_text = rules.checked_alt_text(media.kind, changes.alt_text)
    uow.commit()
    return media


def delete_media(*, uow: UnitOfWork, media_id: uuid.UUID, storage: MediaStorage) -> None:
    media = get_media(uow=uow, media_id=media_id)
    # What an item carries (perhaps approved, or published) does not vanish under it.
    if tenancy.any_row(
        uow.session, select(ContentItemMedia).where(ContentItemMedia.media_id == media.id)
    ):
        raise Conflict("the medium is attached to content items; remove it from them first")
    key = media.storage_key
    uow.session.delete(media)
    uow.commit()
    _remove(storage, key)


def open_media_content(
    *, uow: UnitOfWork, media_id: uuid.UUID, storage: MediaStorage
) -> tuple[Media, BinaryIO]:
    """A medium and its bytes, to read (the caller closes the stream).

    Bytes can be missing beside their row (a commit whose answer was lost after the file
    was removed again): that is a 410 saying what to do, never a 500.
    """
    media = get_media(uow=uow, media_id=media_id)
    try:
        return media, storage.open(media.storage_key)
    except FileNotFoundError:
        raise Gone(f"the file of medium {media_id} is missing; upload it again") from None


def _remove(storage: MediaStorage, key: str) -> None:
    # Logged, not raised: the caller hears of what failed before, or that the delete succeeded.
    try:
        storage.delete(key)
    except OSError:
        log.warning("media file %s was not removed", key, exc_info=True)


def _sha256(content: BinaryIO) -> str:
    digest = hashlib.sha256()
    content.seek(0)
    while chunk := content.read(HASH_BUFFER):
        digest.update(chunk)
    return digest.hexdigest()
