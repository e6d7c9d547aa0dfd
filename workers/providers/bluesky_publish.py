"""Publishing on Bluesky: post records under keys derived from the post, images, threads, metrics.

A post is an ``app.bsky.feed.post`` record written with ``com.atproto.repo.putRecord``
under a record key derived from ``post.key``: sending the same post again writes the same
record again (the same ``at://`` URI) instead of a second post, and ``find`` reads that
record back (``com.atproto.repo.getRecord``). The key is a TID, the key type the post
lexicon declares (the AppView leaves posts under other keys out of feeds); its timestamp
bits come from a digest of ``post.key`` and mean nothing.

A thread is a chain of posts each replying to the one before (``reply.parent``) within the
first (``reply.root``), each part under the key derived from its own part key. Images
(``com.atproto.repo.uploadBlob``) go with the first part, their alt text in the embed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from workers.providers import bluesky_richtext as richtext
from workers.providers.base import Limits, MediaFile, Post, PostMetrics, ProviderError, Published
from workers.providers.bluesky_xrpc import Xrpc
from workers.providers.text import part_key, split

POST = "app.bsky.feed.post"
IMAGES = "app.bsky.embed.images"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
GET_POSTS_MAX = 25  # URIs per app.bsky.feed.getPosts
# The post lexicon's maxGraphemes, and the PDS's default limit on a blob.
LIMITS = Limits(
    max_length=300,
    counting="graphemes",
    url_length=None,
    max_media=4,
    max_image_bytes=1_000_000,
    max_video_bytes=None,  # video goes through a service of its own, not supported here
    media_types=IMAGE_TYPES,
)
_BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


def record_key(key: str) -> str:
    """The TID for ``key``: 13 base32-sortable characters of 64 bits, the top one zero."""
    # 60 bits of the digest: the top bit is zero, and the "timestamp" lies before 2006.
    value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 4
    return "".join(_BASE32_SORTABLE[(value >> shift) & 31] for shift in range(60, -1, -5))


def publish(xrpc: Xrpc, post: Post, *, handle: str, now: datetime) -> Published:
    parts = _parts(post)
    for media in post.media:
        if media.mime_type not in IMAGE_TYPES:
            raise ProviderError(f"Bluesky: only images can be attached, not {media.mime_type}")
    images = [_image(xrpc, media) for media in post.media]
    dids: dict[str, str | None] = {}

    def resolve(mentioned: str) -> str | None:
        if mentioned not in dids:
            found = xrpc.query(
                "com.atproto.identity.resolveHandle",
                {"handle": mentioned},
                absent=("InvalidRequest", "HandleNotFound"),
            )
            dids[mentioned] = found.get("did") if found else None
        return dids[mentioned]

    now = now.astimezone(UTC).replace(microsecond=now.microsecond // 1000 * 1000)
    created = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # as find reads it
    written: list[dict] = []  # strong references (uri, cid) to the parts written
    for index, text in enumerate(parts):
        record: dict = {"$type": POST, "text": text, "createdAt": created}
        if facets := richtext.facets(text, resolve):
            record["facets"] = facets
        if index == 0 and images:
            record["embed"] = {"$type": IMAGES, "images": images}
        if written:
            record["reply"] = {"root": written[0], "parent": written[-1]}
        answer = xrpc.procedure(
            "com.atproto.repo.putRecord",
            applies=True,
            json={
                "repo": handle,
                "collection": POST,
                "rkey": record_key(part_key(post.key, index)),
                "record": record,
            },
        )
        written.append({"uri": str(answer["uri"]), "cid": str(answer["cid"])})
    uri = written[0]["uri"]
    return Published(external_id=uri, url=post_url(handle, uri), published_at=now)


def find(xrpc: Xrpc, post: Post, *, handle: str) -> Published | None:
    """The first part, when every part of the post is there (else publishing goes on)."""
    records = []
    for index in range(len(_parts(post))):
        record = xrpc.query(
            "com.atproto.repo.getRecord",
            {"repo": handle, "collection": POST, "rkey": record_key(part_key(post.key, index))},
            absent=("RecordNotFound",),
        )
        if record is None:
            return None
        records.append(record)
    first = records[0]
    uri = str(first["uri"])
    created = datetime.fromisoformat(first["value"]["createdAt"])
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Published(external_id=uri, url=post_url(handle, uri), published_at=created)


def post_metrics(xrpc: Xrpc, external_ids: list[str]) -> list[PostMetrics]:
    found = []
    for start in range(0, len(external_ids), GET_POSTS_MAX):
        uris = external_ids[start : start + GET_POSTS_MAX]
        answer = xrpc.query("app.bsky.feed.getPosts", {"uris": uris}) or {}
        for view in answer.get("posts") or ():  # a deleted post is left out of the answer
            likes, reposts, replies, quotes = (
                _count(view.get(field))
                for field in ("likeCount", "repostCount", "replyCount", "quoteCount")
            )
            # Under catalogue keys, as the sync counts a day's posts.
            values = {
                "engagements": likes + reposts + replies + quotes,
                "shares": reposts + quotes,
                "comments": replies,
            }
            found.append(PostMetrics(external_id=str(view["uri"]), values=values))
    return found


def post_url(handle: str, uri: str) -> str | None:
    """``at://<did>/app.bsky.feed.post/<rkey>`` → ``https://bsky.app/profile/<handle>/post/<rkey>``."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != POST or not parts[2]:
        return None
    return f"https://bsky.app/profile/{handle or parts[0]}/post/{parts[2]}"


def _parts(post: Post) -> list[str]:
    return split(post.text, LIMITS) if post.thread else [post.text]


def _image(xrpc: Xrpc, media: MediaFile) -> dict:
    try:
        with open(media.path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise ProviderError(f"Bluesky: the image file cannot be read ({error.strerror})") from None
    uploaded = xrpc.procedure(
        "com.atproto.repo.uploadBlob",
        applies=False,  # a blob no record points at is dropped by the PDS: harmless
        content=data,
        content_type=media.mime_type,
    )
    return {"alt": media.alt_text, "image": uploaded["blob"]}


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
