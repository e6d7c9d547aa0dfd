"""Money: ``Decimal`` amounts with two decimal places, and ISO 4217 currency codes.

Amounts are stored as NUMERIC(14, 2) and computed as ``Decimal`` so that a
budget of 0.10 stays 0.10 and figures add up to the cent; the API writes them
as decimal strings ("12000.00"), as payment and CRM APIs do, so no client
parses them into binary floats by accident. Ratios (ROI, rates, shares) are
not money and stay floats.

Metric points are floats (a series of any kind); a sum of cost or revenue
points becomes money through ``amount``, from its shortest decimal form. Reports
keep exact amounts (pro-rated budgets add up to the budget) and round to the
cent once, when they are written.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pycountry
from sqlalchemy import Numeric

PLACES = 2
CENT = Decimal(1).scaleb(-PLACES)
# NUMERIC(14, 2): twelve digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")
# Amounts as columns: NUMERIC(14, 2), read back as Decimal.
AMOUNT = Numeric(14, PLACES, asdecimal=True)
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    """``amount`` to the cent, half to even (banker's rounding: no drift in sums).

    With as many digits as it takes: a cost per lead over a tiny lead count can
    exceed the default 28 digits, and quantize would raise instead of answering.
    """
    with localcontext() as context:
        context.prec = max(context.prec, amount.adjusted() + PLACES + 2)
        return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def amount(value: Decimal | int | float | str) -> Decimal:
    """``value`` as an exact amount; a float (a metric point's sum) from its shortest form.

    repr is the shortest string that reads back as the same float: 0.1 → "0.1",
    not the 55 digits of the binary fraction.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def amount_or_none(value: Decimal | int | float | str | None) -> Decimal | None:
    return None if value is None else amount(value)


def is_currency(code: object) -> bool:
    """An active ISO 4217 code (from pycountry's copy of the standard), upper case."""
    return (
        isinstance(code, str)
        and len(code) == 3
        and code.isupper()
        and pycountry.currencies.get(alpha_3=code) is not None
    )
