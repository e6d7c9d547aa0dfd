"""Which status a content item may be created in (a pure rule)."""

import pytest

from api.domain.content_items import rules


@pytest.mark.parametrize("status", ["idea", "drafting", "in_review"])
def test_an_item_may_start_as_an_idea_in_drafting_or_in_review(status):
    assert rules.initial_status_errors(status) == {}


@pytest.mark.parametrize(
    "status", ["approved", "scheduled", "publishing", "published", "publish_failed", "cancelled"]
)
def test_an_item_cannot_start_past_review(status):
    assert list(rules.initial_status_errors(status)) == ["status"]


def test_every_initial_status_can_still_be_moved_on():
    assert all(rules.FLOW[status] for status in rules.INITIAL_STATUSES)
