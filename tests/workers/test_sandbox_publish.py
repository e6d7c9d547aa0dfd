"""Publishing on the sandbox: deterministic, exactly once by construction, with real limits."""

from datetime import UTC, datetime, timedelta

import pytest

from workers.providers import registry
from workers.providers.base import Account, Credentials, MediaFile, Post, ProviderError
from workers.providers.sandbox import Sandbox

ACCOUNT = Account(
    "sandbox", "@clover", None, Credentials("x"), "5d1c0e3e-0000-4000-8000-0000000001"
)
NOW = datetime(2025, 3, 20, 9, 30, 15, 123456, tzinfo=UTC)


def sandbox(now: datetime = NOW) -> Sandbox:
    return Sandbox(now=lambda: now)


def test_the_same_key_is_the_same_post_and_another_key_another():
    first = sandbox().publish(ACCOUNT, Post(key="ci-1:1", text="Hello"))
    again = sandbox(NOW + timedelta(hours=2)).publish(ACCOUNT, Post(key="ci-1:1", text="Hello"))
    other = sandbox().publish(ACCOUNT, Post(key="ci-2:1", text="Hello"))

    assert again.external_id == first.external_id != other.external_id
    assert first.published_at == NOW.replace(microsecond=0)
    assert sandbox().find(ACCOUNT, Post(key="ci-1:1", text="Hello")) is None


def test_a_text_over_500_graphemes_or_too_many_media_is_refused():
    with pytest.raises(ProviderError, match="501 characters long, over the 500"):
        sandbox().publish(ACCOUNT, Post(key="k", text="é" * 501))

    media = tuple(MediaFile(f"/tmp/{n}.png", "image/png", "alt", 10) for n in range(5))
    with pytest.raises(ProviderError, match="5 media"):
        sandbox().publish(ACCOUNT, Post(key="k", text="Hi", media=media))


def test_a_long_text_as_a_thread_is_published():
    published = sandbox().publish(ACCOUNT, Post(key="t", text="word " * 300, thread=True))
    assert published.external_id.startswith("sandbox-post-")


def test_post_metrics_are_deterministic_and_grow_day_after_day():
    ids = [sandbox().publish(ACCOUNT, Post(key=f"m{n}", text="Hi")).external_id for n in range(3)]

    today = sandbox().post_metrics(ACCOUNT, ids)
    again = sandbox().post_metrics(ACCOUNT, ids)
    later = sandbox(NOW + timedelta(days=10)).post_metrics(ACCOUNT, ids)

    assert today == again
    assert [m.external_id for m in today] == ids
    assert set(today[0].values) == {"impressions", "engagements", "shares", "comments"}
    for before, after in zip(today, later, strict=True):
        assert all(after.values[key] >= before.values[key] for key in before.values)
    assert len({m.values["engagements"] for m in today}) > 1  # seeded by the id


def test_the_limits_are_generous_but_real():
    limits = registry.publisher("sandbox").limits(ACCOUNT)
    assert (limits.max_length, limits.max_media, limits.counting) == (500, 4, "graphemes")
