"""An invitation's status is derived from its timestamps and the clock."""

from datetime import timedelta

import pytest

from api.domain.base import utcnow
from api.domain.invitations.models import Invitation

NOW = utcnow()


def invitation(**fields) -> Invitation:
    return Invitation(**{"expires_at": NOW + timedelta(days=7), **fields})


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, "pending"),
        ({"expires_at": NOW}, "expired"),  # expired at the very moment
        ({"revoked_at": NOW}, "revoked"),
        ({"revoked_at": NOW, "expires_at": NOW - timedelta(days=1)}, "revoked"),
        ({"accepted_at": NOW}, "accepted"),
        ({"accepted_at": NOW, "expires_at": NOW - timedelta(days=1)}, "accepted"),
    ],
)
def test_status_follows_acceptance_then_revocation_then_the_clock(fields, status):
    assert invitation(**fields).status_at(NOW) == status


def test_a_pending_invitation_expires_by_the_clock_alone():
    made = invitation()

    assert made.status_at(NOW + timedelta(days=7, seconds=-1)) == "pending"
    assert made.status_at(NOW + timedelta(days=7)) == "expired"
