"""Pure rules that keep dates and references honest: due dates, publications,
assessments, plan and report windows, points for a campaign on a channel."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from api.domain.content_items.rules import CLOCK_SKEW, dating_errors
from api.domain.errors import RuleViolation
from api.domain.metrics.points import channel_outside_campaign
from api.domain.plan.service import check_plan_range
from api.domain.readiness.rules import check_assessed_on
from api.domain.reports.window import Window, baseline_before, window

NOW = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)


def dates(**fields):
    values = {
        "due_date": None,
        "published_at": None,
        "campaign_start": date(2027, 3, 1),
        "campaign_end": date(2027, 5, 31),
        "now": NOW,
        **fields,
    }
    return dating_errors(**values)


@pytest.mark.parametrize("day", [date(2027, 3, 1), date(2027, 4, 15), date(2027, 5, 31)])
def test_an_item_due_within_its_campaign_is_fine(day):
    assert dates(due_date=day) == {}


@pytest.mark.parametrize("day", [date(2027, 2, 28), date(2027, 6, 1)])
def test_an_item_due_outside_its_campaign_names_due_date(day):
    assert "due_date" in dates(due_date=day)


def test_a_publication_in_the_past_or_within_clock_skew_is_fine():
    assert dates(published_at=NOW - timedelta(days=3)) == {}
    assert dates(published_at=NOW + CLOCK_SKEW) == {}


def test_a_publication_in_the_future_names_published_at():
    assert "published_at" in dates(published_at=NOW + CLOCK_SKEW + timedelta(seconds=1))


def test_an_assessment_dated_today_or_before_is_fine():
    assert check_assessed_on(date(2027, 4, 2), today=date(2027, 4, 2)) == {}


def test_an_assessment_dated_after_today_names_assessed_on():
    assert "assessed_on" in check_assessed_on(date(2027, 4, 3), today=date(2027, 4, 2))


def test_a_point_for_a_campaign_on_one_of_its_channels_is_fine():
    campaign, channel = uuid.uuid4(), uuid.uuid4()

    assert (
        channel_outside_campaign(
            campaign_id=campaign, channel_id=channel, links={(campaign, channel)}
        )
        is None
    )
    assert channel_outside_campaign(campaign_id=campaign, channel_id=None, links=set()) is None


def test_a_point_for_a_campaign_on_a_channel_it_does_not_use_is_named():
    campaign, channel = uuid.uuid4(), uuid.uuid4()

    reason = channel_outside_campaign(campaign_id=campaign, channel_id=channel, links=set())

    assert reason == f"campaign {campaign} does not use channel {channel}"


def test_a_plan_may_end_in_the_last_month():
    check_plan_range(start=date(2998, 1, 1), months=24)


def test_a_plan_past_the_last_month_names_months():
    with pytest.raises(RuleViolation) as refused:
        check_plan_range(start=date(2999, 12, 1), months=2)

    assert "months" in refused.value.errors


def test_a_window_outside_the_range_names_the_day():
    with pytest.raises(RuleViolation) as refused:
        window(date(1969, 12, 31), date(1970, 1, 10))

    assert "from" in refused.value.errors


def test_a_default_baseline_before_the_first_day_names_from():
    with pytest.raises(RuleViolation) as refused:
        baseline_before(Window(date(1970, 1, 1), date(1970, 1, 10)))

    assert "from" in refused.value.errors


def test_a_default_baseline_in_range_is_the_window_before():
    assert baseline_before(Window(date(1970, 1, 11), date(1970, 1, 20))) == Window(
        date(1970, 1, 1), date(1970, 1, 10)
    )
