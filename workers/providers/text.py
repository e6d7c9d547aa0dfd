"""A post's length as its network counts it, a long text cut into a thread, its parts' keys.

Both networks count user-perceived characters (Unicode extended grapheme clusters), not
code points: "é" typed as e + combining accent is one, a family emoji is one. Mastodon
also counts every URL as ``characters_reserved_per_url`` and a mention of a remote
account (``@ana@elsewhere.example``) as its local part only (``@ana``), as its
``StatusLengthValidator`` does; Bluesky counts the text as written. The counting is the
domain's (``api.domain.publishing.limits``), which checks items before they are sent.
"""

from __future__ import annotations

import hashlib

import regex

from api.domain.publishing.limits import graphemes as graphemes
from api.domain.publishing.limits import local_mentions as local_mentions
from api.domain.publishing.limits import text_length
from workers.providers.base import Limits

_GRAPHEME = regex.compile(r"\X")
_PARAGRAPH = regex.compile(r"\n\s*\n")
_SENTENCE = regex.compile(r"(?<=[.!?…])\s+")
_SPACE = regex.compile(r"\s+")


def length(text: str, limits: Limits) -> int:
    """``text``'s length as counted against ``limits.max_length``."""
    return text_length(text, limits)


def split(text: str, limits: Limits) -> list[str]:
    """``text`` as the parts of a thread, each within ``limits.max_length``.

    A part ends, by preference, at a paragraph, then a sentence, then a word; a word longer
    than a whole part is cut between graphemes. The text itself is kept: no numbering.
    """
    parts: list[str] = []
    rest = text.strip()
    while length(rest, limits) > limits.max_length:
        cut = _cut(rest, limits)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts


def part_key(key: str, index: int) -> str:
    """The key of part ``index`` of a thread: the post's own key for the first part."""
    return key if index == 0 else f"{key}/{index + 1}"


def header_safe(key: str) -> str:
    """``key`` as an HTTP header value: itself when printable ASCII, else its digest."""
    if key.isascii() and key.isprintable() and 0 < len(key) <= 200:
        return key
    return hashlib.sha256(key.encode()).hexdigest()


def _cut(text: str, limits: Limits) -> int:
    """Where the first part of ``text`` ends: the best break whose prefix fits."""
    paragraphs, sentences, words = (
        _fitting_breaks(text, pattern, limits) for pattern in (_PARAGRAPH, _SENTENCE, _SPACE)
    )
    for ends in (paragraphs, sentences):
        # A paragraph or sentence break only when it leaves the part at least half full.
        if ends and length(text[: ends[-1]].rstrip(), limits) >= limits.max_length // 2:
            return ends[-1]
    if words:
        return words[-1]
    clusters = _GRAPHEME.findall(text)
    return len("".join(clusters[: max(1, limits.max_length)]))


def _fitting_breaks(text: str, pattern: regex.Pattern, limits: Limits) -> list[int]:
    """The ends of ``pattern``'s matches whose preceding text fits, in order."""
    ends = []
    for match in pattern.finditer(text):
        prefix = text[: match.start()].rstrip()
        if not prefix:
            continue
        if length(prefix, limits) > limits.max_length:
            break  # a longer prefix cannot fit either
        ends.append(match.end())
    return ends
