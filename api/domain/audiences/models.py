from __future__ import annotations

from sqlalchemy import JSON, BigInteger, CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned

AUDIENCE_KINDS = ("customers", "prospects", "partners", "influencers", "employees")
VALUE_TIERS = ("low", "medium", "high", "strategic")
# Channel kinds an audience can prefer (the channels of the content plan use the same set).
CHANNEL_KINDS = (
    "linkedin", "x", "facebook", "instagram", "youtube", "tiktok", "mastodon", "bluesky",
    "blog", "email", "newsletter", "portal", "press", "event", "pos", "website",
)  # fmt: skip


class Audience(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "audiences"
    __audit_type__ = "audience"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("kind", AUDIENCE_KINDS),
        one_of("value_tier", VALUE_TIERS),
        CheckConstraint("size_estimate IS NULL OR size_estimate >= 0", name="size_estimate"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="customers")
    description: Mapped[str] = mapped_column(Text, default="")
    characteristics: Mapped[list[str]] = mapped_column(JSON, default=list)
    value_tier: Mapped[str] = mapped_column(String(20), default="medium")
    # Audiences of billions exist (a network's whole user base): 64 bits, as the API says.
    size_estimate: Mapped[int | None] = mapped_column(BigInteger)
    channel_preferences: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
