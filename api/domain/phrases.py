"""Whole-word phrase matching that tolerates case, accents and inflections.

Texts (mentions, Clover's own published content) are matched against many phrases at once (a key
message's phrases, a competitor's keywords). Text and phrases are normalised the same way: Unicode
NFKD with combining marks stripped ("café" is "cafe"), casefolded, split into words, each word
Snowball-stemmed ("setups" is "setup"). Each distinct stem of the phrases gets one private-use
character, every other word of a text the single "other" character, so a phrase becomes a short
string of word-characters and one Aho-Corasick automaton finds every phrase in one pass over a
text, however many phrases there are. Because a word is one character, a phrase can only match
whole words: "cat" never matches inside "concatenate".

Punctuation, symbols and emoji separate words and are otherwise ignored ("set-up" is "set up").
Scripts written without spaces (Chinese, Japanese, Thai) are one word per run of letters, so their
phrases match only whole runs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

import ahocorasick
import regex
import snowballstemmer

Key = TypeVar("Key", bound=Hashable)

# A word is letters/digits, possibly joined by apostrophes ("don't", "Clover's"); the stemmer then
# removes the possessive.
_WORD = regex.compile(r"\w+(?:'\w+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})

# Supplementary private-use planes 15 and 16: 131,068 characters that never occur in normalised text
# (the text is turned into these characters entirely, so this is about clarity, not collisions).
_OTHER = chr(0xF0000)
_FIRST_STEM = 0xF0001
_PLANE_15_END = 0xFFFFD
_PLANE_16_START = 0x100000
_LAST_STEM = 0x10FFFD
MAX_DISTINCT_WORDS = (_PLANE_15_END - _FIRST_STEM + 1) + (_LAST_STEM - _PLANE_16_START + 1)


class EmptyPhrase(ValueError):
    """A phrase with no words in it (empty, blank, or only punctuation and emoji)."""

    def __init__(self, key: object, phrase: str) -> None:
        super().__init__(f"the phrase {phrase!r} of {key!r} has no words to match")
        self.key = key
        self.phrase = phrase


def languages() -> list[str]:
    """The languages the stemmer knows (``PhraseMatcher.build(..., language=...)``)."""
    return sorted(snowballstemmer.algorithms())


def words(text: str, *, language: str = "english") -> list[str]:
    """The normalised, stemmed words of ``text``, as the matcher compares them."""
    return _stems(text, _stemmer(language))


def _stemmer(language: str):
    try:
        # A new stemmer per use: Snowball's Python stemmers keep state while stemming, so one
        # shared instance would not be safe across threads.
        return snowballstemmer.stemmer(language)
    except KeyError:
        raise ValueError(f"no stemmer for the language {language!r}") from None


def _stems(text: str, stemmer) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return stemmer.stemWords(_WORD.findall(bare))


def _word_characters() -> Iterator[str]:
    yield from map(chr, range(_FIRST_STEM, _PLANE_15_END + 1))
    yield from map(chr, range(_PLANE_16_START, _LAST_STEM + 1))


class PhraseMatcher(Generic[Key]):
    """An immutable matcher of many keys' phrases; build it once, use it for many texts."""

    __slots__ = ("_automaton", "_language", "_vocabulary")

    def __init__(self, *, automaton, vocabulary: Mapping[str, str], language: str) -> None:
        # Use ``build``: the automaton and the vocabulary must come from the same phrases.
        object.__setattr__(self, "_automaton", automaton)
        object.__setattr__(self, "_vocabulary", MappingProxyType(dict(vocabulary)))
        object.__setattr__(self, "_language", language)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a PhraseMatcher cannot be changed; build another one")

    @classmethod
    def build(
        cls, phrases: Mapping[Key, Iterable[str]], *, language: str = "english"
    ) -> PhraseMatcher[Key]:
        """A matcher finding which keys have a phrase in a text.

        Raises ``EmptyPhrase`` (a ``ValueError``) for a phrase with no words and ``ValueError``
        for an unknown language. A key without phrases is never found.
        """
        stemmer = _stemmer(language)
        vocabulary: dict[str, str] = {}
        characters = _word_characters()
        keys_by_pattern: dict[str, set[Key]] = {}
        for key, key_phrases in phrases.items():
            if isinstance(key_phrases, str):
                raise TypeError(f"the phrases of {key!r} must be a list of strings, not a string")
            for phrase in key_phrases:
                stems = _stems(phrase, stemmer)
                if not stems:
                    raise EmptyPhrase(key, phrase)
                for stem in stems:
                    if stem not in vocabulary:
                        character = next(characters, None)
                        if character is None:
                            raise ValueError(
                                f"more than {MAX_DISTINCT_WORDS} distinct words in the phrases"
                            )
                        vocabulary[stem] = character
                pattern = "".join(vocabulary[stem] for stem in stems)
                keys_by_pattern.setdefault(pattern, set()).add(key)
        automaton = None
        if keys_by_pattern:
            automaton = ahocorasick.Automaton()
            for pattern, keys in keys_by_pattern.items():
                automaton.add_word(pattern, frozenset(keys))
            automaton.make_automaton()
        return cls(automaton=automaton, vocabulary=vocabulary, language=language)

    @property
    def language(self) -> str:
        return self._language

    def find(self, text: str) -> set[Key]:
        """The keys with at least one phrase in ``text`` (one pass over the text)."""
        return self._find(text, _stemmer(self._language))

    def find_many(self, texts: Iterable[str]) -> list[set[Key]]:
        """``find`` for each text, in order."""
        stemmer = _stemmer(self._language)
        return [self._find(text, stemmer) for text in texts]

    def _find(self, text: str, stemmer) -> set[Key]:
        if self._automaton is None or not text:
            return set()
        vocabulary = self._vocabulary
        encoded = "".join(vocabulary.get(stem, _OTHER) for stem in _stems(text, stemmer))
        found: set[Key] = set()
        for _end, keys in self._automaton.iter(encoded):
            found.update(keys)
        return found
