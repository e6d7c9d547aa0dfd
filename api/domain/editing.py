"""Small helpers the use cases share for loading and changing tenant rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from api.domain.errors import RuleViolation


def apply_changes(obj: object, changes: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Set the allowed fields present in ``changes``; anything else is a programming error."""
    allowed = set(allowed)
    unexpected = set(changes) - allowed
    if unexpected:
        raise ValueError(f"not updatable: {', '.join(sorted(unexpected))}")
    for name, value in changes.items():
        setattr(obj, name, value)


def refuse(errors: Mapping[str, list[str]], detail: str) -> None:
    """Raise a RuleViolation listing ``errors`` if there are any."""
    if errors:
        raise RuleViolation(detail, errors=dict(errors))
