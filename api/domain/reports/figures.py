"""A report's number: a value, or ``None`` and the reason it cannot be given."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    value: float | None
    reason: str | None = None  # why value is None

    @classmethod
    def missing(cls, reason: str) -> Figure:
        return cls(None, reason)
