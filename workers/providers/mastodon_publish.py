"""Publishing on Mastodon: statuses made once, their media, threads, limits and metrics.

``POST /api/v1/statuses`` carries ``Idempotency-Key: <post.key>``. Mastodon keeps the key
for an hour per account: the same key again within that hour answers the status it made
the first time instead of making another. A thread is a chain of replies
(``in_reply_to_id``), each part under a key of its own derived from the post's, so sending
a thread again re-finds the parts already made and makes only the missing ones.

Mastodon has no lookup by idempotency key. Within the hour, sending the post again *is*
the lookup, so a lost answer needs no more than a retry with the same key. ``find`` is for
a retry that comes later than that: it reads the account's newest statuses
(``GET /api/v1/accounts/:id/statuses``, one page of 40) and matches the post's text (as
Mastodon renders it: mentions of remote accounts show their local part only, whitespace
may differ), its number of media and, for a thread, each part replying to the one before.
Two posts with the same text in the newest 40 are taken for one: the newest matching copy
wins, which for a reconciliation minutes after the lost answer is the one sent.

Media go first, through ``POST /api/v2/media`` (the alt text is its ``description``). A
large file answers 202 and is processed in the background: ``GET /api/v1/media/:id``
answers 206 until it is ready, and a status cannot attach it before that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from workers.providers.base import (
    Limits,
    MediaFile,
    Post,
    PostMetrics,
    ProviderError,
    Published,
    Unavailable,
)
from workers.providers.mastodon_http import Client, parse_time, plain_text
from workers.providers.text import header_safe, local_mentions, part_key

STATUSES = "/api/v1/statuses"
FIND_PAGE = 40  # the most Mastodon answers in one page of an account's statuses
UPLOAD_TIMEOUT = 120.0  # seconds to send one media file
DEFAULT_MAX_CHARACTERS = 500  # Mastodon's own default, for an instance that does not say
DEFAULT_URL_LENGTH = 23
DEFAULT_MAX_MEDIA = 4


@dataclass(frozen=True)
class MediaWait:
    """How long to wait for an instance to process an uploaded file."""

    interval: float = 1.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep


def read_limits(client: Client) -> Limits:
    instance, _ = client.get("/api/v2/instance", {})
    configuration = instance.get("configuration") or {}
    statuses = configuration.get("statuses") or {}
    media = configuration.get("media_attachments") or {}
    return Limits(
        max_length=_positive(statuses.get("max_characters")) or DEFAULT_MAX_CHARACTERS,
        counting="characters",
        url_length=_positive(statuses.get("characters_reserved_per_url")) or DEFAULT_URL_LENGTH,
        max_media=_positive(statuses.get("max_media_attachments")) or DEFAULT_MAX_MEDIA,
        max_image_bytes=_positive(media.get("image_size_limit")),
        max_video_bytes=_positive(media.get("video_size_limit")),
        media_types=frozenset(str(kind) for kind in media.get("supported_mime_types") or ()),
    )


def publish(client: Client, post: Post, parts: list[str], wait: MediaWait) -> Published:
    media_ids = [_upload(client, media, wait) for media in post.media]
    first: dict | None = None
    previous: dict | None = None
    for index, text in enumerate(parts):
        body: dict = {"status": text}
        if index == 0 and media_ids:
            body["media_ids"] = media_ids
        if previous is not None:
            body["in_reply_to_id"] = previous["id"]
        key = header_safe(part_key(post.key, index))
        previous, _ = client.post(
            STATUSES, applies=True, json=body, headers={"Idempotency-Key": key}
        )
        first = first or previous
    return _published(first)


def find(client: Client, post: Post, parts: list[str]) -> Published | None:
    me, _ = client.get("/api/v1/accounts/verify_credentials", {})
    statuses, _ = client.get(
        f"/api/v1/accounts/{quote(str(me['id']), safe='')}/statuses",
        {"limit": FIND_PAGE, "exclude_reblogs": "true"},
    )
    wanted = [_normalised(text) for text in parts]
    for first in statuses:  # newest first
        if (
            first.get("in_reply_to_id") is None
            and _text_of(first) == wanted[0]
            and len(first.get("media_attachments") or ()) == len(post.media)
            and _replies_follow(first, statuses, wanted[1:])
        ):
            return _published(first)
    return None


def post_metrics(client: Client, external_ids: list[str]) -> list[PostMetrics]:
    found = []
    for external_id in external_ids:
        status, _ = client.get(f"{STATUSES}/{quote(external_id, safe='')}", {}, absent=True)
        if status is None:
            continue  # deleted on the network: nothing to count any more
        favourites = _count(status.get("favourites_count"))
        reblogs = _count(status.get("reblogs_count"))
        replies = _count(status.get("replies_count"))
        # The catalogue has no "likes": favourites count among engagements, as in the sync.
        values = {
            "engagements": favourites + reblogs + replies,
            "shares": reblogs,
            "comments": replies,
        }
        found.append(PostMetrics(external_id=external_id, values=values))
    return found


def _upload(client: Client, media: MediaFile, wait: MediaWait) -> str:
    try:
        file = open(media.path, "rb")  # noqa: SIM115 (closed below, after the upload)
    except OSError as error:
        raise ProviderError(f"Mastodon: the media file cannot be read ({error.strerror})") from None
    with file:
        attachment, response = client.post(
            "/api/v2/media",
            applies=False,  # an upload makes no status: sending it again is harmless
            files={"file": (os.path.basename(media.path), file, media.mime_type)},
            data={"description": media.alt_text} if media.alt_text else {},
            timeout=httpx.Timeout(client.timeout, write=UPLOAD_TIMEOUT),
        )
    media_id = str(attachment["id"])
    deadline = time.monotonic() + wait.timeout
    while response.status_code in (202, 206):  # still processing
        if time.monotonic() >= deadline:
            raise Unavailable(
                f"Mastodon: media {media_id} still processing after {wait.timeout:g} s"
            )
        wait.sleep(wait.interval)
        _, response = client.get(f"/api/v1/media/{quote(media_id, safe='')}", {})
    return media_id


def _replies_follow(first: dict, statuses: list[dict], wanted: list[str]) -> bool:
    """Whether the rest of a thread replies, part after part, to ``first``."""
    previous = first
    for text in wanted:
        reply = next(
            (
                status
                for status in statuses
                if status.get("in_reply_to_id") == previous["id"] and _text_of(status) == text
            ),
            None,
        )
        if reply is None:
            return False
        previous = reply
    return True


def _text_of(status: dict) -> str:
    # Some servers (GoToSocial) answer the source text; Mastodon answers HTML only.
    text = status.get("text")
    return _normalised(text if isinstance(text, str) else plain_text(status.get("content") or ""))


def _normalised(text: str) -> str:
    return " ".join(local_mentions(text).split())


def _published(status: dict) -> Published:
    return Published(
        external_id=str(status["id"]),
        url=status.get("url") or status.get("uri"),
        published_at=parse_time(status["created_at"]),
    )


def _positive(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _count(value: object) -> int:
    return _positive(value) or 0
