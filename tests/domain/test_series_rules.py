"""Reading and expanding a content series' RRULE in the organisation's time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from api.domain.content_series import rules
from api.domain.errors import RuleViolation

BERLIN = "Europe/Berlin"


def expand(rule, starts_at, zone=BERLIN, **kwargs):
    return rules.occurrences(rule, starts_at=starts_at, zone=zone, **kwargs)


def local(moments, zone=BERLIN):
    return [m.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for m in moments]


def refused(rule, starts_at=datetime(2027, 3, 2, 10), **kwargs) -> str:
    with pytest.raises(RuleViolation) as caught:
        expand(rule, starts_at, **kwargs)
    return caught.value.errors["rule"][0]


def test_ten_o_clock_stays_ten_o_clock_local_across_the_spring_change():
    found = expand("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", datetime(2027, 3, 23, 10))

    # Berlin moves to summer time on Sunday 28 March 2027.
    assert found == [
        datetime(2027, 3, 23, 9, tzinfo=UTC),
        datetime(2027, 3, 25, 9, tzinfo=UTC),
        datetime(2027, 3, 30, 8, tzinfo=UTC),
        datetime(2027, 4, 1, 8, tzinfo=UTC),
    ]
    assert {m.hour for m in local(found)} == {10}


def test_ten_o_clock_stays_ten_o_clock_local_across_the_autumn_change():
    found = expand("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", datetime(2027, 10, 26, 10))

    # Berlin goes back to standard time on Sunday 31 October 2027.
    assert [m.hour for m in found] == [8, 8, 9, 9]
    assert {m.hour for m in local(found)} == {10}


def test_the_31st_is_skipped_in_months_without_one():
    found = expand("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4", datetime(2027, 1, 31, 9))

    assert [d.date() for d in local(found)] == [
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 7, 31),
    ]


def test_bymonthday_minus_one_is_the_last_day_of_each_month():
    found = expand("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", datetime(2028, 1, 31, 9))

    assert [d.date() for d in local(found)] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]


def test_count_gives_that_many_occurrences():
    assert len(expand("FREQ=DAILY;COUNT=7", datetime(2027, 3, 1, 9))) == 7


def test_a_local_until_date_includes_its_whole_day():
    found = expand("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270401", datetime(2027, 3, 23, 10))

    assert local(found)[-1] == datetime(2027, 4, 1, 10)
    assert len(found) == 4


def test_a_utc_until_is_an_instant():
    # 08:00 UTC on 30 March is 10:00 in Berlin: that occurrence is the last.
    found = expand("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270330T080000Z", datetime(2027, 3, 23, 10))

    assert found[-1] == datetime(2027, 3, 30, 8, tzinfo=UTC)
    assert len(found) == 3


def test_an_rrule_prefix_is_accepted():
    assert len(expand("RRULE:FREQ=DAILY;COUNT=2", datetime(2027, 3, 1, 9))) == 2


def test_ends_on_bounds_a_rule_without_count_or_until():
    found = expand("FREQ=DAILY", datetime(2027, 3, 1, 9), ends_on=date(2027, 3, 5))

    assert local(found)[-1] == datetime(2027, 3, 5, 9)


def test_a_rule_that_never_ends_is_refused():
    assert "COUNT or an UNTIL" in refused("FREQ=WEEKLY;BYDAY=TU")


def test_a_rule_over_the_cap_is_refused_saying_so():
    assert "more than 500" in refused("FREQ=DAILY;COUNT=501")
    assert "more than 500" in refused("FREQ=DAILY;UNTIL=20291231")


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "every Tuesday",
        "FREQ=FORTNIGHTLY;COUNT=2",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
        "FREQ=WEEKLY;COUNT=abc",
        "FREQ=WEEKLY;COUNT=2;SOON=1",
        "COUNT=2",
        "DTSTART:20270101T000000\nRRULE:FREQ=DAILY;COUNT=2",
    ],
)
def test_bad_rules_are_refused(rule):
    assert refused(rule)


def test_count_and_until_together_are_refused():
    assert "not both" in refused("FREQ=DAILY;COUNT=2;UNTIL=20270401")


def test_more_often_than_daily_is_refused():
    assert "at most daily" in refused("FREQ=HOURLY;COUNT=2")


def test_a_rule_without_occurrences_is_refused():
    # 30 February never comes; the search stops at the series' horizon.
    assert "no occurrence" in refused("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2")


def test_zero_interval_and_count_are_refused():
    assert "INTERVAL" in refused("FREQ=DAILY;INTERVAL=0;COUNT=2")
    assert "COUNT" in refused("FREQ=DAILY;COUNT=0")


def test_a_title_names_the_local_day():
    moment = datetime(2027, 3, 30, 23, 30, tzinfo=UTC)  # already the 31st in Berlin

    assert rules.title_for("Tip of {date}", moment, BERLIN) == "Tip of 2027-03-31"


def test_an_item_is_untouched_until_edited_or_moved_on():
    assert rules.untouched(detached=False, status="idea", initial_status="idea")
    assert not rules.untouched(detached=True, status="idea", initial_status="idea")
    assert not rules.untouched(detached=False, status="drafting", initial_status="idea")


def test_a_time_the_spring_change_skips_is_read_before_the_change():
    # 02:30 does not exist in Berlin on 28 March 2027: it is read with the winter offset.
    found = expand("FREQ=DAILY;COUNT=3", datetime(2027, 3, 27, 2, 30))

    assert found == [
        datetime(2027, 3, 27, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 29, 0, 30, tzinfo=UTC),
    ]


def test_a_time_the_autumn_change_repeats_is_its_first_one():
    # 02:30 happens twice in Berlin on 31 October 2027: the summer-time one counts.
    found = expand("FREQ=DAILY;COUNT=1", datetime(2027, 10, 31, 2, 30))

    assert found == [datetime(2027, 10, 31, 0, 30, tzinfo=UTC)]
