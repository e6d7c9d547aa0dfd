"""What one post on a channel may carry, and whether an item fits: pure rules.

The network's adapter reports a connection's limits (``Publisher.limits``) and the
publish job stores them on the connection; until the first refresh each provider's
documented defaults below apply. The domain never asks the network itself.

Text is counted in graphemes (what a reader sees as one character: "é" typed as e
plus an accent, or a flag, is one), as both Mastodon and Bluesky count. Where the
network counts in "characters" (Mastodon's ``StatusLengthValidator``), every URL
counts as ``url_length`` and a mention of a remote account (``@ana@elsewhere.example``)
as its local part (``@ana``). The adapters count the same way: this is the one rule
(``workers/providers/text.py`` builds threads on it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

# The third-party `regex` module: its \X follows the Unicode grapheme rules of a current
# Unicode version, which the standard library has no way to count.
import regex

MIB = 1024 * 1024


@dataclass(frozen=True)
class ChannelLimits:
    max_length: int
    counting: str  # "characters" (a URL counts as url_length) or "graphemes"
    url_length: int | None
    max_media: int
    max_image_bytes: int | None
    max_video_bytes: int | None
    media_types: tuple[str, ...]

    def to_json(self) -> dict:
        return {**asdict(self), "media_types": sorted(self.media_types)}

    @classmethod
    def from_json(cls, data: dict) -> ChannelLimits:
        return cls(**{**data, "media_types": tuple(data["media_types"])})


_MASTODON_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
    "video/quicktime",
)
# Documented defaults until a connection's first refresh: Mastodon's stock instance
# configuration (500 characters, links as 23, 4 attachments, 16 MiB images, 99 MiB
# videos); Bluesky's lexicon (300 graphemes, links counted in full, 4 images of at most
# 1,000,000 bytes, a video of at most 100 MB); the sandbox answers like stock Mastodon.
DEFAULTS: dict[str, ChannelLimits] = {
    "mastodon": ChannelLimits(500, "characters", 23, 4, 16 * MIB, 99 * MIB, _MASTODON_TYPES),
    "bluesky": ChannelLimits(
        300,
        "graphemes",
        None,
        4,
        1_000_000,
        100_000_000,
        ("image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4"),
    ),
    "sandbox": ChannelLimits(500, "characters", 23, 4, 16 * MIB, 99 * MIB, _MASTODON_TYPES),
}

_GRAPHEME = regex.compile(r"\X")
# A link; trailing punctuation ends the sentence, not the URL.
_URL = regex.compile(r"https?://[^\s]+")
_URL_TRAILING = ".,;:!?'\")"
# A username, then @ and the domain of its instance (Mastodon's MENTION_RE, roughly).
_REMOTE_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)@[\w.-]*\w", regex.IGNORECASE
)


class Counting(Protocol):
    """How a network counts a post's length (these limits, or an adapter's)."""

    counting: str
    url_length: int | None


@dataclass(frozen=True)
class MediaFacts:
    """What the limits need to know of one attached file."""

    mime_type: str
    size_bytes: int


def limits_of(provider: str, stored: dict | None) -> ChannelLimits:
    """The limits a connection reported last, else its provider's defaults."""
    return ChannelLimits.from_json(stored) if stored else DEFAULTS[provider]


def graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def local_mentions(text: str) -> str:
    """Mentions of remote accounts as Mastodon shows and counts them: ``@ana@elsewhere.example``
    as ``@ana``."""
    return _REMOTE_MENTION.sub(r"@\1", text)


def text_length(text: str, limits: Counting) -> int:
    """The length of ``text`` as the network counts it."""
    if limits.counting == "characters":
        text = local_mentions(text)
        if limits.url_length is not None:
            text = _URL.sub(lambda url: _url_placeholder(url[0], limits.url_length), text)
    return graphemes(text)


def _url_placeholder(url: str, url_length: int) -> str:
    stripped = url.rstrip(_URL_TRAILING)
    return "x" * url_length + url[len(stripped) :]


def posts_needed(text: str, limits: ChannelLimits) -> int:
    """About how many posts a thread of ``text`` takes (1 when it fits one post)."""
    return max(1, math.ceil(text_length(text, limits) / limits.max_length))


def violations(
    *,
    text: str,
    as_thread: bool,
    media: Sequence[MediaFacts],
    limits: ChannelLimits,
    channel: str,
) -> dict[str, list[str]]:
    """Each limit of ``channel`` (its name, for the messages) that the item breaks."""
    errors: dict[str, list[str]] = {}
    length = text_length(text, limits)
    if length > limits.max_length and not as_thread:
        counted = "characters" if limits.counting == "characters" else "graphemes"
        errors["text"] = [
            f"{channel} allows {limits.max_length} {counted} per post; this text has "
            f"{length}. Shorten it, or set as_thread to post it as a thread."
        ]
    problems = []
    if len(media) > limits.max_media:
        problems.append(
            f"{channel} allows {limits.max_media} attachments; this item has {len(media)}."
        )
    for n, file in enumerate(media, 1):
        if file.mime_type not in limits.media_types:
            problems.append(f"{channel} does not accept {file.mime_type} (attachment {n}).")
            continue
        video = file.mime_type.startswith("video/")
        most = limits.max_video_bytes if video else limits.max_image_bytes
        if most is not None and file.size_bytes > most:
            problems.append(
                f"{channel} allows {most} bytes per {file.mime_type.split('/')[0]}; "
                f"attachment {n} has {file.size_bytes}."
            )
    if problems:
        errors["media_ids"] = problems
    return errors
