"""The networks' limits as pure rules: how text is counted, what media may be attached."""

from api.domain.publishing.limits import DEFAULTS, MediaFacts, posts_needed, text_length, violations

MASTODON, BLUESKY = DEFAULTS["mastodon"], DEFAULTS["bluesky"]


def check(text="", media=(), limits=MASTODON, as_thread=False):
    return violations(
        text=text, as_thread=as_thread, media=list(media), limits=limits, channel="Fediverse"
    )


def test_a_grapheme_is_what_a_reader_sees_as_one_character():
    assert text_length("e\u0301", BLUESKY) == 1  # e + combining accent
    assert text_length("👍🏽🇳🇱", BLUESKY) == 2  # a toned thumb and a flag


def test_mastodon_counts_every_link_as_23_characters():
    link = "https://example.com/" + "a" * 200

    assert text_length(f"See {link}.", MASTODON) == len("See ") + 23 + len(".")


def test_bluesky_counts_a_link_in_full():
    assert text_length("https://example.com/abc", BLUESKY) == 23


def test_a_text_over_the_limit_is_refused_naming_the_channel_and_the_limit():
    [message] = check("x" * 301, limits=BLUESKY)["text"]

    assert message.startswith("Fediverse allows 300 graphemes per post; this text has 301.")


def test_a_text_over_the_limit_that_asks_for_a_thread_passes():
    assert check("x" * 1200, as_thread=True) == {}
    assert posts_needed("x" * 1200, MASTODON) == 3


def test_media_count_type_and_size_are_checked():
    image = MediaFacts("image/png", 900_000)
    errors = check(
        media=[image] * 4 + [MediaFacts("image/png", 2_000_000), MediaFacts("audio/mpeg", 10)],
        limits=BLUESKY,
    )["media_ids"]

    assert errors == [
        "Fediverse allows 4 attachments; this item has 6.",
        "Fediverse allows 1000000 bytes per image; attachment 5 has 2000000.",
        "Fediverse does not accept audio/mpeg (attachment 6).",
    ]


def test_an_item_within_every_limit_has_no_violation():
    assert check("Hello", media=[MediaFacts("video/mp4", 50 * 1024 * 1024)]) == {}
