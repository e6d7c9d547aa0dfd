"""A committed change stays a success when its follow-up job cannot be queued."""

from api import create_app
from api.config import Settings
from tests.api import builders
from tests.factories import bearer


def test_a_write_succeeds_and_is_saved_when_redis_is_down(database_url, factory):
    app = create_app(
        Settings.build(
            database_url=database_url, redis_url="redis://127.0.0.1:1/0", environment="test"
        )
    )
    client = app.test_client()
    org = factory.organisation()

    # Inviting queues a webhook dispatch, joining a member count: neither can be queued.
    email = builders.invited_member(client, org)["user"]["email"]

    members = client.get(org.url("/members"), headers=bearer(org.token)).get_json()["items"]
    assert email in {m["user"]["email"] for m in members}
