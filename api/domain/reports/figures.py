"""A report's number: a value, or ``None`` and the reason it cannot be given."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    value: float | Decimal | None  # Decimal when it is money
    reason: str | None = None  # why value is None

    @classmethod
    def missing(cls, reason: str) -> Figure:
        return cls(None, reason)
