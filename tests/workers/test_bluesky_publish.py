"""Publishing on Bluesky, against the fake PDS of ``tests/fakes/bluesky.py`` over HTTP."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import FAKES_ON_LOOPBACK
from tests.fakes.bluesky import APP_PASSWORD, DID, HANDLE, POST, REFRESH, TID, TOKEN, Fake, serve
from workers.providers.base import (
    Account,
    Credentials,
    MediaFile,
    OutcomeUnknown,
    Post,
    PostMetrics,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from workers.providers.bluesky import Bluesky
from workers.providers.bluesky_publish import LIMITS, record_key
from workers.providers.text import graphemes, part_key

LONG = (
    "Our spring launch is here, and it brings faster exports, a cleaner editor and a new "
    "way to plan campaigns with your whole team. Teams asked for all three, and we listened "
    "closely to every one of them over the winter. Read the notes on https://example.com/notes "
    "before you upgrade, because a few settings moved. Questions? Ask @alice.example.com or "
    "reply right here, we read everything. And thank you for a wonderful year together."
)


@pytest.fixture(scope="module")
def server():
    httpd = serve()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server):
    server.fake = Fake()
    yield server.fake
    server.fake.release.set()  # ends a hung answer


class Store:
    """The caller's side of ``on_refresh``: stores each new session, as the job will."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.given: list[Credentials] = []

    def __call__(self, credentials: Credentials) -> None:
        self.given.append(credentials)
        self.credentials = credentials


def account(server, credentials=None, store: Store | None = None) -> Account:
    host, port = server.server_address[:2]
    return Account(
        provider="bluesky",
        account=HANDLE,
        base_url=f"http://{host}:{port}",
        credentials=credentials or Credentials(access_token=TOKEN, refresh_token=REFRESH),
        channel_id="7f1c0a52-0000-4000-8000-000000000001",
        on_refresh=store,
    )


def adapter(timeout: float = 2) -> Bluesky:
    return Bluesky(policy=FAKES_ON_LOOPBACK, timeout=timeout)


def image(tmp_path, name: str, size: int) -> MediaFile:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(size - 4))
    return MediaFile(str(path), "image/jpeg", f"Alt text of {name}", size)


def written(fake) -> list[dict]:
    return [body for nsid, body in fake.bodies if nsid == "com.atproto.repo.putRecord"]


def assert_no_secret(error: BaseException) -> None:
    told = str(error) + repr(error) + "".join(traceback.format_exception(error))
    assert TOKEN not in told and "s3cr3t" not in told and "eyJ" not in told
    assert error.__cause__ is None and error.__context__ is None


def test_a_post_is_a_record_under_a_key_derived_from_the_post(server, fake):
    before = datetime.now(UTC)

    published = adapter().publish(account(server), Post(key="ci-7f3a:1", text="Hello, spring"))

    (record,) = fake.post_records()
    rkey = record_key("ci-7f3a:1")
    assert TID.fullmatch(rkey)
    assert record["uri"] == published.external_id == f"at://{DID}/{POST}/{rkey}"
    assert published.url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
    assert record["value"]["text"] == "Hello, spring"
    assert record["value"]["$type"] == POST
    assert datetime.fromisoformat(record["value"]["createdAt"]) == published.published_at
    assert before - timedelta(seconds=1) <= published.published_at <= datetime.now(UTC)
    assert "facets" not in record["value"] and "embed" not in record["value"]


def test_record_keys_are_stable_tids_distinct_per_key():
    keys = {record_key(f"ci-{n}:1") for n in range(500)}
    assert len(keys) == 500
    assert all(TID.fullmatch(key) for key in keys)
    assert record_key("ci-1:1") == record_key("ci-1:1")


def test_images_are_uploaded_as_blobs_with_their_alt_text(server, fake, tmp_path):
    media = (image(tmp_path, "a.jpg", 40_000), image(tmp_path, "b.jpg", 1_000_000))

    adapter().publish(account(server), Post(key="img", text="Two pictures", media=media))

    (record,) = fake.post_records()
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["images"]] == ["Alt text of a.jpg", "Alt text of b.jpg"]
    assert [i["image"]["size"] for i in embed["images"]] == [40_000, 1_000_000]
    assert all(i["image"]["mimeType"] == "image/jpeg" for i in embed["images"])
    assert len(fake.blobs) == 2


def test_an_image_over_the_blob_limit_is_refused_with_the_pds_reason(server, fake, tmp_path):
    media = (image(tmp_path, "big.jpg", 1_000_001),)

    with pytest.raises(ProviderError) as caught:
        adapter().publish(account(server), Post(key="big", text="Too big", media=media))

    assert type(caught.value) is ProviderError
    assert str(caught.value) == (
        "Bluesky com.atproto.repo.uploadBlob: HTTP 400 BlobTooLarge (This file is too large. "
        "It is 1000001 bytes but the maximum size is 1000000 bytes.)"
    )
    assert fake.post_records() == []


def test_video_is_refused_before_anything_is_sent(server, fake, tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(100))
    video = MediaFile(str(path), "video/mp4", "A clip", 100)

    with pytest.raises(ProviderError, match="only images"):
        adapter().publish(account(server), Post(key="v", text="Clip", media=(video,)))

    assert fake.bodies == []


def test_a_thread_is_replies_to_its_root_and_parent_each_within_300_graphemes(server, fake):
    published = adapter().publish(account(server), Post(key="th", text=LONG, thread=True))

    bodies = written(fake)
    assert len(bodies) == 2
    assert [b["rkey"] for b in bodies] == [record_key("th"), record_key(part_key("th", 1))]
    records = [b["record"] for b in bodies]
    assert all(graphemes(r["text"]) <= LIMITS.max_length for r in records)
    assert " ".join(r["text"] for r in records) == LONG
    root = fake.records[(POST, record_key("th"))]
    assert "reply" not in records[0]
    assert records[1]["reply"] == {
        "root": {"uri": root["uri"], "cid": root["cid"]},
        "parent": {"uri": root["uri"], "cid": root["cid"]},
    }
    assert published.external_id == root["uri"]


def test_the_same_key_twice_writes_the_same_record_once(server, fake):
    provider, acct = adapter(), account(server)
    post = Post(key="twice", text="Only once")

    first = provider.publish(acct, post)
    again = provider.publish(acct, post)

    assert again.external_id == first.external_id
    assert len(fake.post_records()) == 1
    assert len(written(fake)) == 2  # the second wrote over the first, under the same key


def test_an_answer_lost_after_sending_is_outcome_unknown_and_find_finds_the_one_post(server, fake):
    provider, acct = adapter(timeout=0.5), account(server)
    post = Post(key="lost", text="Did it go?")
    fake.hang("com.atproto.repo.putRecord")  # written, never answered

    with pytest.raises(OutcomeUnknown) as caught:
        provider.publish(acct, post)
    assert_no_secret(caught.value)
    (record,) = fake.post_records()

    found = provider.find(acct, post)

    assert found is not None
    assert found.external_id == record["uri"]
    assert found.published_at == datetime.fromisoformat(record["value"]["createdAt"])
    assert len(fake.post_records()) == 1
    assert len(written(fake)) == 1


def test_find_finds_nothing_for_a_post_never_made_or_a_thread_not_finished(server, fake):
    provider, acct = adapter(), account(server)
    thread = Post(key="half", text=LONG, thread=True)
    fake.fail("com.atproto.repo.putRecord", 503, after=1)
    with pytest.raises(Unavailable):
        provider.publish(acct, thread)

    assert provider.find(acct, Post(key="never", text="x")) is None
    assert provider.find(acct, thread) is None
    assert len(fake.post_records()) == 1

    provider.publish(acct, thread)  # the retry completes it, under the same keys
    assert provider.find(acct, thread) is not None
    assert len(fake.post_records()) == 2


def test_a_rate_limit_says_when_to_come_back(server, fake):
    fake.fail(
        "com.atproto.repo.putRecord",
        429,
        headers={"Retry-After": "7"},
        body={"error": "RateLimitExceeded"},
    )

    with pytest.raises(RateLimited) as caught:
        adapter().publish(account(server), Post(key="rl", text="Hi"))

    assert caught.value.retry_after == 7
    assert fake.post_records() == []
    assert_no_secret(caught.value)


def test_a_server_error_is_unavailable_not_unknown(server, fake):
    fake.fail("com.atproto.repo.putRecord", 502, body={"error": "UpstreamFailure"})

    with pytest.raises(Unavailable) as caught:
        adapter().publish(account(server), Post(key="5xx", text="Hi"))

    assert not isinstance(caught.value, OutcomeUnknown)
    assert str(caught.value) == "Bluesky com.atproto.repo.putRecord: HTTP 502 UpstreamFailure"


def test_a_refused_token_without_a_way_to_store_a_new_session_is_unauthorized(server, fake):
    fake.expire_access_tokens()

    with pytest.raises(Unauthorized) as caught:
        adapter().publish(account(server), Post(key="401", text="Hi"))

    assert "ExpiredToken" in str(caught.value)
    assert fake.calls("com.atproto.server.refreshSession") == []
    assert_no_secret(caught.value)


def test_an_app_password_makes_one_session_for_many_posts(server, fake):
    store = Store(Credentials(access_token=APP_PASSWORD))
    provider = adapter()

    for n in range(3):  # each job builds its account from what was stored
        provider.publish(account(server, store.credentials, store), Post(key=f"s{n}", text="Hi"))

    assert len(fake.calls("com.atproto.server.createSession")) == 1
    assert len(fake.post_records()) == 3
    (session,) = store.given
    assert session.access_token in fake.access and session.refresh_token in fake.refresh
    assert APP_PASSWORD not in repr(session)


def test_an_expired_access_token_is_refreshed_once_and_handed_to_on_refresh(server, fake):
    store = Store(Credentials(access_token=TOKEN, refresh_token=REFRESH))
    provider = adapter()
    provider.publish(account(server, store.credentials, store), Post(key="r0", text="Hi"))
    fake.expire_access_tokens()

    for n in range(1, 4):
        provider.publish(account(server, store.credentials, store), Post(key=f"r{n}", text="Hi"))

    assert len(fake.calls("com.atproto.server.refreshSession")) == 1
    assert fake.calls("com.atproto.server.createSession") == []
    (renewed,) = store.given
    assert renewed.access_token not in fake.expired and renewed.refresh_token in fake.refresh
    assert REFRESH not in fake.refresh  # refreshing revoked the old one
    assert len(fake.post_records()) == 4


def test_an_account_held_from_before_a_refresh_uses_the_new_session(server, fake):
    store = Store(Credentials(access_token=TOKEN, refresh_token=REFRESH))
    provider, stale = adapter(), account(server, store.credentials, store)
    fake.expire_access_tokens()
    post = Post(key="stale", text="Hi")

    assert provider.find(stale, post) is None  # refreshes the session
    provider.publish(stale, post)  # the same, now outdated, account

    assert len(fake.calls("com.atproto.server.refreshSession")) == 1
    assert len(fake.post_records()) == 1


def test_a_refused_refresh_is_unauthorized(server, fake):
    store = Store(Credentials(access_token=TOKEN, refresh_token=REFRESH))
    fake.expire_access_tokens()
    fake.refresh.clear()  # revoked (the app password was deleted, say)

    with pytest.raises(Unauthorized) as caught:
        adapter().publish(account(server, store.credentials, store), Post(key="x", text="Hi"))

    assert str(caught.value) == (
        "Bluesky com.atproto.server.refreshSession: HTTP 400 ExpiredToken: "
        "the session could not be renewed: reconnect the channel"
    )
    assert store.given == [] and fake.post_records() == []
    assert_no_secret(caught.value)


def test_a_refused_app_password_is_unauthorized(server, fake):
    store = Store(Credentials(access_token="wxyz-s3cr-3tpw-abcd"))

    with pytest.raises(Unauthorized) as caught:
        adapter().publish(account(server, store.credentials, store), Post(key="x", text="Hi"))

    assert "createSession: HTTP 401 AuthenticationRequired" in str(caught.value)
    assert_no_secret(caught.value)


def test_facets_carry_utf8_byte_offsets_after_emoji_and_accents(server, fake):
    link, mention, tag = "https://example.com/été", "@alice.example.com", "#printemps"
    text = f"Café ☕️ déjà vu 👩🏽‍💻 — {link} avec {mention} {tag}!"

    adapter().publish(account(server), Post(key="rich", text=text))

    def span(part: str) -> dict:
        start = len(text[: text.index(part)].encode())
        return {"byteStart": start, "byteEnd": start + len(part.encode())}

    (record,) = fake.post_records()
    assert record["value"]["facets"] == [
        {"index": span(link), "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}]},
        {
            "index": span(mention),
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}],
        },
        {
            "index": span(tag),
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "printemps"}],
        },
    ]
    encoded = text.encode()
    facets = record["value"]["facets"]
    shown = [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    assert shown == [link, mention, tag]


def test_a_handle_that_resolves_to_nothing_stays_plain_text(server, fake):
    adapter().publish(account(server), Post(key="nobody", text="Hi @nobody.example.com!"))

    (record,) = fake.post_records()
    assert "facets" not in record["value"]
    assert fake.calls("com.atproto.identity.resolveHandle") == [{"handle": ["nobody.example.com"]}]


def test_post_metrics_are_read_back_under_catalogue_keys(server, fake):
    provider, acct = adapter(), account(server)
    first = provider.publish(acct, Post(key="m1", text="One"))
    second = provider.publish(acct, Post(key="m2", text="Two"))
    fake.counts[first.external_id] = {
        "likeCount": 5,
        "repostCount": 2,
        "replyCount": 1,
        "quoteCount": 1,
    }
    del fake.records[(POST, record_key("m2"))]  # deleted: left out of getPosts

    metrics = provider.post_metrics(acct, [first.external_id, second.external_id])

    assert metrics == [
        PostMetrics(first.external_id, {"engagements": 9, "shares": 3, "comments": 1})
    ]
    assert fake.calls("app.bsky.feed.getPosts") == [
        {"uris": [first.external_id, second.external_id]}
    ]


def test_the_limits_are_bluesky_s_own(server, fake):
    limits = adapter().limits(account(server))

    assert (limits.max_length, limits.counting, limits.max_media) == (300, "graphemes", 4)
    assert limits.max_image_bytes == 1_000_000
    assert fake.requests == []
