"""CSV exports never carry live spreadsheet formulas (OWASP CSV injection)."""

import csv
import io

import pytest

from tests.api import builders

WINDOW = "from=2027-03-01&to=2027-05-31"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CAMPAIGN = "=cmd|' /C calc'!A0"
CHANNEL = '=HYPERLINK("http://evil.example","x")'
KPI = "+SUM(1+1)"
OBJECTIVE = "@SUM(A1)"


@pytest.fixture
def hostile(client, factory):
    """An organisation whose campaign, channel, objective and KPI names are formulas."""
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"], title=OBJECTIVE)
    builders.kpi(client, org, objective["id"], name=KPI)
    channel = builders.channel(client, org, name=CHANNEL, handle="-acme")
    campaign = builders.campaign(
        client,
        org,
        strategy["id"],
        name=CAMPAIGN,
        channel_ids=[channel["id"]],
        objective_ids=[objective["id"]],
    )
    points = [
        {"metric_key": key, "day": "2027-03-02", "value": value, "channel_id": channel["id"]}
        | ({"campaign_id": campaign["id"]} if key != "followers" else {})
        for key, value in (("impressions", 900), ("engagements", 40), ("leads", 4))
    ]
    response = client.post(
        org.url("/metric-points/batch?atomic=true"), headers=org.headers, json={"points": points}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return org, strategy


def csv_cells(client, org, path) -> list[str]:
    response = client.get(org.url(path), headers={**org.headers, "Accept": "text/csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return [value for row in rows for value in row]


def is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("path", "names"),
    [
        (f"/reports/roi?{WINDOW}", [CAMPAIGN]),
        (f"/reports/channels?{WINDOW}", [CHANNEL]),
        (f"/reports/funnel?{WINDOW}", [CAMPAIGN, CHANNEL]),
        ("/reports/alignment?strategy_id={strategy}", [CAMPAIGN, KPI, OBJECTIVE]),
    ],
)
def test_report_csv_cells_cannot_run_as_formulas(client, hostile, path, names):
    org, strategy = hostile

    cells = csv_cells(client, org, path.format(strategy=strategy["id"]))

    live = [c for c in cells if c.startswith(FORMULA_STARTS) and not is_number(c)]
    assert live == []
    for name in names:
        assert "'" + name in cells


def test_negative_figures_stay_numbers(client, hostile):
    org, _ = hostile

    # Four leads worth 1 each against the budget: a negative ROI, a number, not a formula.
    cells = csv_cells(client, org, f"/reports/roi?{WINDOW}&value_per_lead=1")

    assert any(c.startswith("-") and is_number(c) for c in cells)
