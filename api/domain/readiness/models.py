from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped
from api.domain.tenancy import TenantOwned

LEAVES = ("culture", "leadership", "governance", "technology")


class ReadinessAssessment(IdMixin, Timestamped, TenantOwned, Audited, Base):
    """Scores 1 to 5 for the four leaves of the Clover architecture, at a date."""

    __tablename__ = "readiness_assessments"
    __audit_type__ = "readiness_assessment"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        *(CheckConstraint(f"{leaf} BETWEEN 1 AND 5", name=leaf) for leaf in LEAVES),
    )

    assessed_on: Mapped[date] = mapped_column(index=True)
    culture: Mapped[int]
    leadership: Mapped[int]
    governance: Mapped[int]
    technology: Mapped[int]
    culture_notes: Mapped[str] = mapped_column(Text, default="")
    leadership_notes: Mapped[str] = mapped_column(Text, default="")
    governance_notes: Mapped[str] = mapped_column(Text, default="")
    technology_notes: Mapped[str] = mapped_column(Text, default="")
