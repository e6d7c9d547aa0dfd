"""Schema fields for a report figure (a value, or null and the reason why)."""

import marshmallow as ma

from api.resources.money import Money, amount_out


def figure(path: str, description: str, **kwargs) -> ma.fields.Float:
    """The ``value`` of the Figure at ``path`` (dotted attributes)."""
    return ma.fields.Float(
        required=True,
        allow_none=True,
        attribute=f"{path}.value",
        metadata={"description": description},
        **kwargs,
    )


def money_figure(path: str, description: str, **kwargs) -> Money:
    """The ``value`` of a money Figure at ``path``: a decimal string, 2 places."""
    return amount_out(
        description, required=True, allow_none=True, attribute=f"{path}.value", **kwargs
    )


def reason(
    path: str, description: str = "Why the figure before it is null; null when it is given"
) -> ma.fields.String:
    """The ``reason`` of the Figure at ``path``: why its value is null."""
    return ma.fields.String(
        required=True,
        allow_none=True,
        attribute=f"{path}.reason",
        metadata={"description": description},
    )
