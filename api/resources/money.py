"""Schema fields for money: amounts as decimal strings, currencies as ISO 4217 codes.

An amount is written as a string with two decimal places ("12000.00") and read
from a string or a JSON number; more than two decimal places, or a value
outside the range, is a 422 rather than a silent rounding.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import marshmallow as ma

from api.domain import money

FORMAT = (
    'a decimal string with 2 places, e.g. "12000.00"; input may be a string or a '
    "number, with at most 2 decimal places"
)


class Money(ma.fields.Decimal):
    """Money written as a decimal string with two places."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format(money.quantize(money.amount(value)), "f")


class Amount(Money):
    """Money as a decimal string with two places, read from a string or a number."""

    default_error_messages = {
        "places": f"At most {money.PLACES} decimal places.",
        "range": "Must be from 0 to {maximum}.",
    }

    def __init__(
        self,
        *,
        description: str = "",
        maximum: Decimal = money.MAX_AMOUNT,
        in_query: bool = False,
        **kwargs,
    ) -> None:
        said = f"{description}; {FORMAT}" if description else FORMAT.capitalize()
        self.maximum = maximum
        # The range is checked in _deserialize, not by a Range validator: apispec would
        # write its bounds as numbers' minimum and maximum on a string.
        super().__init__(
            places=money.PLACES,
            as_string=True,
            allow_nan=False,
            metadata={
                # apispec reads a Decimal field as a number; as_string makes it a string.
                # A JSON body may carry a number too, so the schema admits one (a client
                # that sends one is within the contract); a query string is text.
                "type": "string" if in_query else ["string", "number"],
                "format": "decimal",
                "description": f"{said}; from 0 to {maximum}",
                "examples": ["12000.00"],
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        # The parent quantises before validators run: refuse extra places first.
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                exact = Decimal(str(value).strip())
            except InvalidOperation:
                raise self.make_error("invalid") from None
            if exact.is_finite() and not 0 <= exact <= self.maximum:
                raise self.make_error("range", maximum=self.maximum)
            if exact.is_finite() and exact != money.quantize(exact):
                raise self.make_error("places")
        amount = super()._deserialize(value, attr, data, **kwargs)
        if not 0 <= amount <= self.maximum:
            raise self.make_error("range", maximum=self.maximum)
        return amount


def amount_out(description: str, **kwargs) -> Money:
    """A computed money figure in a response (a report's): a decimal string, 2 places."""
    return Money(
        places=money.PLACES,
        as_string=True,
        metadata={
            "type": "string",
            "format": "decimal",
            "description": f'{description}; a decimal string with 2 places, e.g. "12000.00"',
        },
        **kwargs,
    )


def currency_code(description: str = "ISO 4217 code", **kwargs) -> ma.fields.String:
    """An ISO 4217 currency code, checked against the standard's list."""
    return ma.fields.String(
        validate=_iso_4217,
        metadata={"description": f"{description} (an active code of the standard, e.g. EUR)"},
        **kwargs,
    )


def _iso_4217(code: str) -> None:
    if not money.is_currency(code):
        raise ma.ValidationError("Not an ISO 4217 currency code.")
