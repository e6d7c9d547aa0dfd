"""Money rules: exact amounts, ISO 4217 codes."""

from decimal import Decimal

import pytest

from api.domain import money
from api.domain.errors import RuleViolation
from api.domain.organisations.service import OrganisationChanges, check_organisation_fields


def test_a_float_sum_becomes_the_amount_it_shows():
    assert money.amount(0.1 + 0.2) == Decimal("0.30000000000000004")
    assert money.amount(0.1) == Decimal("0.1")
    assert money.amount(12000) == Decimal(12000)


def test_amounts_round_half_to_even_at_the_cent():
    assert money.quantize(Decimal("0.125")) == Decimal("0.12")
    assert money.quantize(Decimal("0.135")) == Decimal("0.14")


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "CHF"])
def test_iso_4217_codes_are_currencies(code):
    assert money.is_currency(code)


@pytest.mark.parametrize("code", ["ABC", "eur", "EURO", "", None, 978])
def test_other_codes_are_not(code):
    assert not money.is_currency(code)


def test_an_organisation_currency_outside_iso_4217_is_a_rule_violation():
    with pytest.raises(RuleViolation) as refused:
        check_organisation_fields(OrganisationChanges(currency="ABC"))

    assert "currency" in refused.value.errors


def test_an_amount_beyond_28_digits_is_still_rounded_to_the_cent():
    huge = Decimal("999999999999.99") / Decimal("1e-20")

    assert money.quantize(huge) == Decimal("99999999999999" + "0" * 18 + ".00")
