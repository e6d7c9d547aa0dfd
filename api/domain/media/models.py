from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned

KINDS = ("image", "video")
# The types accepted, as sniffed from the bytes (never the client's word), by kind.
MIME_TYPES = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/gif": "image",
    "image/webp": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
}
# Every medium is checked as it is uploaded, so it is ready once stored; work done
# later on a medium (a video probed or transcoded by a job) adds its states here.
STATUSES = ("ready",)
# Mastodon's limit for an image description, the strictest of the networks.
MAX_ALT_TEXT = 1_500


class Media(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    """An uploaded image or video a content item can carry; its bytes are in media storage."""

    __tablename__ = "media"
    __audit_type__ = "media"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("storage_key"),
        one_of("kind", KINDS),
        one_of("mime_type", tuple(MIME_TYPES)),
        one_of("status", STATUSES),
        CheckConstraint("size_bytes >= 0", name="size_bytes"),
        CheckConstraint(
            "kind <> 'image' OR (width IS NOT NULL AND height IS NOT NULL "
            "AND width > 0 AND height > 0)",
            name="image_dimensions",
        ),
        CheckConstraint("kind <> 'image' OR alt_text <> ''", name="image_alt_text"),
    )

    kind: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    alt_text: Mapped[str] = mapped_column(String(MAX_ALT_TEXT), default="")
    # The client's name for the file, shown back to it; never used to store or serve it.
    file_name: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="ready")
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
