"""The typed inputs of use cases: a draft to create something, changes to update it.

A request schema loads straight into one of these (``into`` on the schema), so no
``dict`` of a request body crosses into the domain. A field the caller did not
send is ``UNSET``, which is not ``None``: ``None`` is an explicit "no value"
(clear a campaign's end date), ``UNSET`` leaves the stored value alone (changes)
or lets the model's default apply (drafts).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Any, Final, TypeVar

T = TypeVar("T")


class Unset(enum.Enum):
    """The type of ``UNSET``: a field the caller did not send."""

    UNSET = "unset"

    def __bool__(self) -> bool:  # "if changes.name:" reads as "if a name was given"
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True, kw_only=True)
class Input:
    """Base of drafts and changes: the fields given, by name."""

    def given(self) -> dict[str, Any]:
        """The fields the caller sent, as the keyword arguments of a model or a rule."""
        return {
            f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not UNSET
        }

    def sent(self, name: str) -> bool:
        """Whether the caller sent ``name`` (``None`` included)."""
        return getattr(self, name) is not UNSET

    def or_(self, name: str, current: T) -> T:
        """The value sent for ``name``, else ``current`` (the stored value it would change)."""
        value = getattr(self, name)
        return current if value is UNSET else value


@dataclass(frozen=True, kw_only=True)
class Draft(Input):
    """What a create use case takes: required fields plus the optional ones sent."""


@dataclass(frozen=True, kw_only=True)
class Changes(Input):
    """What an update use case takes: only the fields sent change."""
