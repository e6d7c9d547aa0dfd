"""Links, mentions and hashtags in a Bluesky post: facets over the text's UTF-8 bytes.

Bluesky shows a link, a mention or a tag only where the record's ``facets`` say, by byte
offsets into the UTF-8 text (not characters: "é" is two bytes, most emoji four). Finding
them is the official SDK's job (``detectFacets``); the ``atproto`` package carries a port
of it, which is used here and nothing else of that package (its client does its own HTTP,
outside the checked transport). A mention links a DID: handles are resolved with
``com.atproto.identity.resolveHandle``, and one that resolves to nothing stays plain text,
as in the official app.
"""

from __future__ import annotations

from collections.abc import Callable

MENTION = "app.bsky.richtext.facet#mention"


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict]:
    """The facets of ``text``, in order; ``resolve`` maps a handle to its DID (or None)."""
    # Imported here: loading the SDK takes about two seconds, which only publishing needs.
    from atproto_client.utils import detect_facets, detect_mentions

    found = []
    for mention in detect_mentions(text):
        did = resolve(mention.handle)
        if did:
            feature = {"$type": MENTION, "did": did}
            found.append(_facet(mention.byte_start, mention.byte_end, feature))
    for facet in detect_facets(text):  # links and tags
        (feature,) = facet.features
        found.append(
            _facet(
                facet.index.byte_start,
                facet.index.byte_end,
                feature.model_dump(by_alias=True, exclude_none=True),
            )
        )
    return sorted(found, key=lambda facet: facet["index"]["byteStart"])


def _facet(start: int, end: int, feature: dict) -> dict:
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}
