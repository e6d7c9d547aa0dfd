"""Publishing on Mastodon, against the fake instance of ``tests/fakes/mastodon.py`` over HTTP."""

from __future__ import annotations

import socket
import traceback
from datetime import UTC, datetime, timedelta

import pytest

from api.config import Settings
from tests.fakes import FAKES_ON_LOOPBACK
from tests.fakes.mastodon import TOKEN, FakeMastodon, instance
from workers import runtime
from workers.providers import registry
from workers.providers.base import (
    Account,
    Credentials,
    Limits,
    MediaFile,
    OutcomeUnknown,
    Post,
    PostMetrics,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from workers.providers.mastodon import Mastodon
from workers.providers.mastodon_publish import MediaWait
from workers.providers.text import length

TEXT = (
    "Spring is here! 🌸 Read https://example.com/spring-launch-2025/announcement-and-details "
    "with @ana@elsewhere.example #SpringLaunch\n\nSee you there."
)
LONG = (
    "Our spring launch is here. It brings faster exports and a cleaner editor. "
    "Teams asked for both, and we listened closely. "
    "Read the notes on https://example.com/notes before you upgrade. "
    "Questions? Ask @ana@elsewhere.example or reply here."
)


@pytest.fixture
def fake():
    server = FakeMastodon()
    yield server
    server.close()


def account_for(server: FakeMastodon, token: str = TOKEN) -> Account:
    return Account(
        provider="mastodon",
        account="@clover@mastodon.example",
        base_url=server.url,
        credentials=Credentials(access_token=token),
        channel_id="5d1c0e3e-0000-4000-8000-000000000001",
    )


def adapter(timeout: float = 2) -> Mastodon:
    wait = MediaWait(interval=0.01, timeout=2)
    return Mastodon(policy=FAKES_ON_LOOPBACK, timeout=timeout, media_wait=wait)


def image(tmp_path, name: str = "launch.png", size: int = 2048) -> str:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(size))
    return str(path)


def sent_keys(server: FakeMastodon) -> list[str]:
    return [
        headers["Idempotency-Key"]
        for path, headers, _ in server.writes
        if path.endswith("statuses")
    ]


def assert_no_secret(error: BaseException) -> None:
    shown = f"{error} {error!r} {''.join(traceback.format_exception(error))}"
    assert TOKEN not in shown


def test_a_post_is_one_status_sent_with_its_key_as_idempotency_key(fake):
    published = adapter().publish(account_for(fake), Post(key="ci-7f3a:1", text=TEXT))

    (made,) = fake.made
    assert published.external_id == made["id"]
    assert published.url == made["url"]
    assert published.published_at == datetime.fromisoformat(made["created_at"])
    assert published.published_at.tzinfo is not None
    assert sent_keys(fake) == ["ci-7f3a:1"]
    assert fake.writes[0][2] == {"status": TEXT}


def test_an_image_is_uploaded_first_with_its_alt_text_and_waited_for(fake, tmp_path):
    fake.media_polls = 2  # processed in the background: 202, then 206 twice, then 200
    media = MediaFile(image(tmp_path), "image/png", "Tulips on a desk", 2056)

    adapter().publish(account_for(fake), Post(key="ci-1:1", text="With a picture", media=(media,)))

    (made,) = fake.made
    (attachment,) = made["media_attachments"]
    assert attachment["description"] == "Tulips on a desk"
    assert attachment["url"] is not None
    (upload,) = [body for path, _, body in fake.writes if path == "/api/v2/media"]
    assert upload["file"]["type"] == "image/png" and len(upload["file"]["data"]) == 2056
    assert len(fake.requests_to(f"/api/v1/media/{attachment['id']}")) == 3


def test_media_still_processing_after_the_wait_is_unavailable_and_no_status_is_made(fake, tmp_path):
    fake.media_polls = 1000
    media = MediaFile(image(tmp_path), "image/png", "alt", 2056)
    slow = Mastodon(
        policy=FAKES_ON_LOOPBACK, timeout=2, media_wait=MediaWait(interval=0.01, timeout=0.1)
    )

    with pytest.raises(Unavailable, match="still processing") as caught:
        slow.publish(account_for(fake), Post(key="ci-1:1", text="x", media=(media,)))

    assert not isinstance(caught.value, OutcomeUnknown)  # no status was sent
    assert fake.made == []


def test_a_thread_is_a_chain_of_replies_each_within_the_limit_and_with_its_own_key(fake):
    fake.instance = instance(max_characters=90)

    published = adapter().publish(account_for(fake), Post(key="ci-2:1", text=LONG, thread=True))

    made = list(fake.made)
    assert len(made) >= 3
    assert published.external_id == made[0]["id"]
    assert made[0]["in_reply_to_id"] is None
    assert [m["in_reply_to_id"] for m in made[1:]] == [m["id"] for m in made[:-1]]
    assert sent_keys(fake) == ["ci-2:1"] + [f"ci-2:1/{n}" for n in range(2, len(made) + 1)]
    texts = [body["status"] for path, _, body in fake.writes if path == "/api/v1/statuses"]
    assert " ".join(texts) == " ".join(LONG.split())
    limits = adapter().limits(account_for(fake))
    assert all(length(text, limits) <= 90 for text in texts)


def test_the_same_key_twice_makes_one_status(fake):
    provider, account = adapter(), account_for(fake)
    post = Post(key="ci-3:1", text=TEXT)

    first = provider.publish(account, post)
    again = provider.publish(account, post)

    assert again == first
    assert len(fake.made) == 1
    assert sent_keys(fake) == ["ci-3:1", "ci-3:1"]


def test_a_thread_sent_again_makes_only_its_missing_parts(fake):
    fake.instance = instance(max_characters=90)
    provider, account = adapter(), account_for(fake)
    post = Post(key="ci-4:1", text=LONG, thread=True)
    fake.fail("/api/v1/statuses", 503, after=1)  # the second part fails

    with pytest.raises(Unavailable):
        provider.publish(account, post)
    assert len(fake.made) == 1
    published = provider.publish(account, post)

    assert published.external_id == fake.made[0]["id"]
    assert [m["in_reply_to_id"] for m in fake.made[1:]] == [m["id"] for m in fake.made[:-1]]
    assert len({m["id"] for m in fake.made}) == len(fake.made) >= 3


def test_an_answer_lost_after_sending_is_outcome_unknown_and_find_finds_the_one_status(fake):
    provider = adapter(timeout=0.5)
    account = account_for(fake)
    post = Post(key="ci-5:1", text=TEXT)
    fake.hang("/api/v1/statuses")  # stores the status, never answers

    with pytest.raises(OutcomeUnknown) as caught:
        provider.publish(account, post)
    assert_no_secret(caught.value)
    (made,) = fake.made

    fake.forget_idempotency_keys()  # more than an hour later: only find can tell
    found = provider.find(account, post)

    assert found is not None
    assert found.external_id == made["id"]
    assert found.url == made["url"]
    assert len(fake.made) == 1


def test_within_the_hour_a_retry_after_a_lost_answer_gets_the_same_status(fake):
    provider, account = adapter(timeout=0.5), account_for(fake)
    post = Post(key="ci-6:1", text="Hello")
    fake.hang("/api/v1/statuses")
    with pytest.raises(OutcomeUnknown):
        provider.publish(account, post)

    published = provider.publish(account, post)

    assert [m["id"] for m in fake.made] == [published.external_id]


def test_find_finds_nothing_for_a_post_never_made_or_a_thread_not_finished(fake):
    fake.instance = instance(max_characters=90)
    provider, account = adapter(), account_for(fake)
    thread = Post(key="ci-7:1", text=LONG, thread=True)
    fake.fail("/api/v1/statuses", 503, after=1)
    with pytest.raises(Unavailable):
        provider.publish(account, thread)

    assert provider.find(account, Post(key="ci-8:1", text="Never sent")) is None
    assert provider.find(account, thread) is None  # its first part alone is not the post
    assert len(fake.made) == 1


def test_find_tells_posts_apart_by_text_and_media(fake, tmp_path):
    provider, account = adapter(), account_for(fake)
    media = MediaFile(image(tmp_path), "image/png", "alt", 2056)
    provider.publish(account, Post(key="a", text="Same words", media=(media,)))
    plain = provider.publish(account, Post(key="b", text="Same   words"))
    fake.forget_idempotency_keys()

    assert provider.find(account, Post(key="b", text="Same words")) == plain
    assert provider.find(account, Post(key="c", text="Other words")) is None


def test_a_rate_limit_says_when_to_come_back_and_makes_nothing(fake):
    fake.fail("/api/v1/statuses", 429, headers={"Retry-After": "7"}, body={"error": "Too many"})

    with pytest.raises(RateLimited) as caught:
        adapter().publish(account_for(fake), Post(key="ci-9:1", text="Hi"))

    assert caught.value.retry_after == 7
    assert fake.made == []


def test_a_server_error_or_no_connection_is_unavailable_not_unknown(fake):
    fake.fail("/api/v1/statuses", 502, body="<html>Bad gateway</html>")
    with pytest.raises(Unavailable) as caught:
        adapter().publish(account_for(fake), Post(key="ci-10:1", text="Hi"))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert str(caught.value) == "Mastodon POST /api/v1/statuses: HTTP 502"

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = Account("mastodon", "@a@b", f"http://127.0.0.1:{port}", Credentials(TOKEN), "x")
    with pytest.raises(Unavailable) as caught:
        adapter().publish(closed, Post(key="ci-10:1", text="Hi"))
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_refused_token_is_unauthorized(fake):
    with pytest.raises(Unauthorized) as caught:
        adapter().publish(account_for(fake, token="tok-revoked"), Post(key="k", text="Hi"))

    assert str(caught.value) == (
        "Mastodon POST /api/v1/statuses: HTTP 401 (The access token is invalid)"
    )
    assert fake.made == []


def test_a_text_the_instance_refuses_is_a_provider_error_saying_why(fake):
    with pytest.raises(ProviderError) as caught:
        adapter().publish(account_for(fake), Post(key="k", text="x" * 501))

    assert type(caught.value) is ProviderError
    assert str(caught.value) == (
        "Mastodon POST /api/v1/statuses: HTTP 422 "
        "(Validation failed: Text character limit of 500 exceeded)"
    )


def test_the_limits_are_the_instances_own_and_read_once_in_a_while(fake):
    fake.instance = instance(max_characters=1000, max_media=6)
    provider, account = adapter(), account_for(fake)

    limits = provider.limits(account)
    again = provider.limits(account)

    assert (
        limits
        == again
        == Limits(
            max_length=1000,
            counting="characters",
            url_length=23,
            max_media=6,
            max_image_bytes=16777216,
            max_video_bytes=103809024,
            media_types=frozenset({"image/jpeg", "image/png", "image/gif", "video/mp4"}),
        )
    )
    assert len(fake.requests_to("/api/v2/instance")) == 1


def test_an_instance_that_says_little_gets_mastodons_defaults(fake):
    fake.instance = {"domain": "old.example", "configuration": {}}

    limits = adapter().limits(account_for(fake))

    assert (limits.max_length, limits.url_length, limits.max_media) == (500, 23, 4)
    assert limits.max_image_bytes is None and limits.media_types == frozenset()


def test_post_metrics_are_read_back_under_catalogue_keys(fake):
    provider, account = adapter(), account_for(fake)
    first = provider.publish(account, Post(key="m1", text="One"))
    second = provider.publish(account, Post(key="m2", text="Two"))
    fake.made[0].update(favourites_count=5, reblogs_count=2, replies_count=1)
    fake.statuses.remove(fake.made[1])  # deleted on the network

    metrics = provider.post_metrics(account, [first.external_id, second.external_id])

    assert metrics == [
        PostMetrics(first.external_id, {"engagements": 8, "shares": 2, "comments": 1})
    ]


def test_the_registered_adapter_publishes(fake):
    with runtime.using(Settings.build(environment="test", connections_allow_private=True)):
        published = registry.publisher("mastodon").publish(
            account_for(fake), Post(key="reg", text="Hi")
        )
    assert published.external_id == fake.made[0]["id"]
    assert published.published_at > datetime.now(UTC) - timedelta(minutes=1)
