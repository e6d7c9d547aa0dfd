import pytest

from api.domain.kpis import rules
from api.domain.kpis.rules import KpiDefinition


def kpi(**overrides):
    values = {
        "aggregation": "sum",
        "metric_key": "leads",
        "numerator_key": None,
        "denominator_key": None,
        "target": 100.0,
        "baseline": 50.0,
        "direction": "increase",
    } | overrides
    return KpiDefinition(**values)


def test_a_plain_kpi_fits():
    assert rules.check_kpi(kpi()) == {}


def test_a_ratio_kpi_needs_both_keys():
    errors = rules.check_kpi(kpi(aggregation="ratio", metric_key=None, numerator_key="clicks"))

    assert set(errors) == {"denominator_key"}


def test_a_ratio_kpi_with_both_keys_fits():
    fitting = kpi(
        aggregation="ratio",
        metric_key=None,
        numerator_key="conversions",
        denominator_key="leads",
        target=0.3,
        baseline=0.2,
    )
    assert rules.check_kpi(fitting) == {}


def test_ratio_keys_must_be_in_the_catalogue_and_differ():
    errors = rules.check_kpi(
        kpi(aggregation="ratio", metric_key=None, numerator_key="leads", denominator_key="leads")
    )
    assert "denominator_key" in errors
    errors = rules.check_kpi(
        kpi(aggregation="ratio", metric_key=None, numerator_key="vibes", denominator_key="leads")
    )
    assert "numerator_key" in errors


def test_a_plain_kpi_needs_a_known_metric_and_no_ratio_keys():
    assert "metric_key" in rules.check_kpi(kpi(metric_key=None))
    assert "metric_key" in rules.check_kpi(kpi(metric_key="vibes"))
    assert "numerator_key" in rules.check_kpi(kpi(numerator_key="clicks"))


@pytest.mark.parametrize(
    ("direction", "target", "baseline", "fits"),
    [
        ("increase", 120, 80, True),
        ("increase", 80, 80, False),
        ("decrease", 5, 10, True),
        ("decrease", 12, 10, False),
        ("decrease", 12, None, True),
    ],
)
def test_target_agrees_with_direction_when_there_is_a_baseline(direction, target, baseline, fits):
    errors = rules.check_kpi(kpi(direction=direction, target=target, baseline=baseline))
    assert ("target" not in errors) is fits
