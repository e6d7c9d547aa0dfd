from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from api.domain.campaigns import rules as campaigns
from api.domain.channels.models import default_mode, family
from api.domain.content_items import rules as content
from api.domain.plan.service import add_months, weeks_in


@pytest.mark.parametrize(
    ("current", "action", "result"),
    [
        ("planned", "start", "active"),
        ("active", "complete", "completed"),
        ("planned", "cancel", "cancelled"),
        ("active", "cancel", "cancelled"),
        ("planned", "complete", None),
        ("completed", "cancel", None),
        ("cancelled", "start", None),
    ],
)
def test_campaign_transitions(current, action, result):
    assert campaigns.transition(current, action) == result


def test_pdca_goes_round_and_starts_the_next_cycle():
    steps = [(1, "plan")]
    for _ in range(5):
        steps.append(campaigns.next_phase(*steps[-1]))

    assert steps == [(1, "plan"), (1, "do"), (1, "check"), (1, "act"), (2, "plan"), (2, "do")]


def test_campaign_dates_must_lie_in_the_strategy_period():
    period = (date(2027, 1, 1), date(2027, 12, 31))

    assert campaigns.check_dates(date(2027, 3, 1), date(2027, 5, 1), *period) == {}
    assert set(campaigns.check_dates(date(2026, 12, 1), date(2028, 1, 1), *period)) == {
        "start_date",
        "end_date",
    }
    assert "end_date" in campaigns.check_dates(date(2027, 5, 1), date(2027, 3, 1), *period)


def test_utm_codes_are_plain():
    assert campaigns.utm_code("Spring Reseller Push 2027!") == "spring_reseller_push_2027"
    assert campaigns.utm_code("!!!") == "campaign"


def test_default_mode_and_family_follow_the_kind():
    assert default_mode("mastodon") == "conversational"
    assert default_mode("event") == "conversational"
    assert default_mode("newsletter") == "push"
    assert family("bluesky") == "social"
    assert family("press") == "traditional"


def test_a_blog_is_the_social_counterpart_of_press():
    # The channel report compares press (traditional) with blog (social) mentions.
    assert (family("blog"), family("press")) == ("social", "traditional")


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("idea", "drafting", True),
        ("drafting", "in_review", True),
        ("in_review", "approved", True),
        ("in_review", "drafting", True),
        ("approved", "scheduled", True),
        ("scheduled", "published", True),
        ("idea", "published", False),
        ("drafting", "approved", False),
        ("published", "cancelled", False),
    ],
)
def test_content_flow(current, target, allowed):
    assert content.may_move(current, target) is allowed


def test_editing_reviewed_fields_after_approval_needs_approval_again():
    current = {"title": "A", "brief": "B"}

    assert content.needs_approval_again("approved", {"title": "A2"}, current)
    assert content.needs_approval_again("scheduled", {"brief": "B2"}, current)
    assert not content.needs_approval_again("approved", {"title": "A"}, current)
    assert not content.needs_approval_again("approved", {"effort_hours": 3}, current)
    assert not content.needs_approval_again("drafting", {"title": "A2"}, current)


def test_scheduling_and_publishing_need_their_times():
    now = datetime.now(UTC)
    assert "scheduled_at" in content.missing_for("scheduled", scheduled_at=None, published_at=None)
    assert "published_at" in content.missing_for("published", scheduled_at=now, published_at=None)
    assert content.missing_for("published", scheduled_at=None, published_at=now) == {}


def test_plan_date_is_the_scheduled_day_in_utc_else_the_due_date():
    late_evening_in_new_york = datetime(2027, 3, 31, 22, 0, tzinfo=timezone(timedelta(hours=-4)))

    assert content.plan_date(late_evening_in_new_york, date(2027, 3, 1)) == date(2027, 4, 1)
    assert content.plan_date(None, date(2027, 3, 1)) == date(2027, 3, 1)
    assert content.plan_date(None, None) is None


def test_month_arithmetic():
    assert add_months(date(2027, 11, 1), 3) == date(2028, 2, 1)
    assert weeks_in(date(2027, 2, 1)) == 4.0
    assert weeks_in(date(2027, 1, 1)) == pytest.approx(31 / 7)
