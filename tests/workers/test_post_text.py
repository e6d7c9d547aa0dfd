"""A post's length as the networks count it, and a long text cut into a thread."""

from workers.providers.base import Limits
from workers.providers.text import graphemes, header_safe, length, part_key, split

MASTODON = Limits(40, "characters", 23, 4, None, None, frozenset())
BLUESKY = Limits(300, "graphemes", None, 4, 1_000_000, None, frozenset())


def test_graphemes_are_what_a_reader_sees_as_one_character():
    assert graphemes("e\u0301") == 1  # e and a combining accent
    assert graphemes("👩🏽‍💻") == 1  # a ZWJ sequence with a skin tone
    assert graphemes("🇫🇷🇩🇪") == 2  # two flags
    assert graphemes("Café ☕️") == 6


def test_mastodon_counts_a_url_as_23_and_a_remote_mention_as_its_username():
    text = "See https://example.com/a/very/long/path/that/goes/on. @ana@elsewhere.example"
    assert length(text, MASTODON) == len("See ") + 23 + len(". @ana")
    assert length(text, BLUESKY) == len(text)


def test_a_thread_breaks_at_sentences_and_words_and_keeps_every_word():
    text = (
        "First sentence is here. Second one follows it closely. "
        "A third, longer sentence that goes on and on until it must be cut somewhere."
    )

    parts = split(text, MASTODON)

    assert all(length(part, MASTODON) <= 40 for part in parts)
    assert " ".join(parts) == text
    assert parts[0] == "First sentence is here."


def test_a_thread_prefers_a_paragraph_break():
    text = "A short first paragraph, all alone.\n\nThe second one."
    assert split(text, MASTODON) == ["A short first paragraph, all alone.", "The second one."]


def test_a_word_longer_than_a_part_is_cut_between_graphemes():
    parts = split(
        "é" * 50 + "👩🏽‍💻" * 5, Limits(20, "graphemes", None, 0, None, None, frozenset())
    )
    assert [graphemes(p) for p in parts] == [20, 20, 15]
    assert "".join(parts) == "é" * 50 + "👩🏽‍💻" * 5


def test_a_text_within_the_limit_is_one_part():
    assert split("  Hello  ", BLUESKY) == ["Hello"]


def test_part_keys_and_header_values():
    assert [part_key("ci-1:2", n) for n in range(3)] == ["ci-1:2", "ci-1:2/2", "ci-1:2/3"]
    assert header_safe("ci-1:2/3") == "ci-1:2/3"
    assert len(header_safe("clé")) == 64
