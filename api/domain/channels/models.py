from __future__ import annotations

from sqlalchemy import JSON, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audiences.models import CHANNEL_KINDS
from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned

SOCIAL_KINDS = (
    "linkedin",
    "x",
    "facebook",
    "instagram",
    "youtube",
    "tiktok",
    "mastodon",
    "bluesky",
)
MODES = ("push", "conversational")
PURPOSES = ("marketing", "customer_service", "loyalty")
CHANNEL_STATUSES = ("active", "paused", "archived")


def default_mode(kind: str) -> str:
    """Social networks and events are conversations; the rest pushes messages out."""
    return "conversational" if kind in SOCIAL_KINDS or kind == "event" else "push"


# The social side of "social vs traditional": the networks, and blogs (owned publishing
# people answer and share), as the press vs blog comparison has it. Only the networks sync.
SOCIAL_FAMILY_KINDS = (*SOCIAL_KINDS, "blog")


def family(kind: str) -> str:
    return "social" if kind in SOCIAL_FAMILY_KINDS else "traditional"


class Channel(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "channels"
    __audit_type__ = "channel"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("kind", CHANNEL_KINDS),
        one_of("mode", MODES),
        one_of("status", CHANNEL_STATUSES),
    )

    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    purposes: Mapped[list[str]] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="active")

    @property
    def family(self) -> str:
        return family(self.kind)


def handle_key(handle: str) -> str:
    """How handles compare: people write ``@Acme`` and ``acme`` for the same account."""
    return handle.strip().lstrip("@").lower()


# ``handle_key`` in SQL, to compare stored handles with one.
HANDLE_KEY = func.lower(func.ltrim(Channel.handle, "@"))
