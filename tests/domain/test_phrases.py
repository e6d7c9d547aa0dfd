"""Whole-word phrase matching: case, accents, inflections, punctuation, emoji."""

import pytest

from api.domain.phrases import EmptyPhrase, PhraseMatcher, languages, words


def matcher(**phrases):
    return PhraseMatcher.build(phrases)


def test_a_phrase_matches_its_own_words():
    assert matcher(easy=["easy setup"]).find("Clover has an easy setup.") == {"easy"}


def test_a_text_without_the_phrase_matches_nothing():
    assert matcher(easy=["easy setup"]).find("Setup was hard, not easy.") == set()


def test_a_plural_matches_the_singular_phrase():
    assert matcher(easy=["easy setup"]).find("Both easy setups worked") == {"easy"}


def test_a_singular_matches_a_plural_phrase():
    assert matcher(stories=["customer stories"]).find("a customer story") == {"stories"}


def test_an_inflected_verb_matches_as_the_stemmer_allows():
    setting_up = matcher(verb=["set up"])

    assert setting_up.find("We are setting up the account") == {"verb"}
    assert setting_up.find("She sets up everything") == {"verb"}


def test_irregular_forms_are_not_matched_since_the_stemmer_only_strips_suffixes():
    # Snowball stems "easy" to "easi" and keeps "easier"; "ran" is not "run".
    assert matcher(easy=["easy setup"]).find("an easier setup") == set()
    assert matcher(run=["run fast"]).find("we ran fast") == set()


def test_case_does_not_matter():
    assert matcher(easy=["Easy Setup"]).find("EASY SETUP!!!") == {"easy"}


def test_accents_do_not_matter_either_way():
    assert matcher(cafe=["café crème"]).find("the cafe creme was cold") == {"cafe"}
    assert matcher(cafe=["cafe creme"]).find("Le CAFÉ CRÈME est froid") == {"cafe"}


def test_compatibility_forms_and_german_sharp_s_are_folded():
    assert matcher(office=["office strasse"]).find("the o\ufb03ce Straße") == {"office"}


def test_punctuation_between_words_is_ignored():
    found = matcher(setup=["easy to set up"]).find("It's easy, to set-up... honestly")

    assert found == {"setup"}


def test_a_hyphenated_phrase_matches_the_words_apart():
    assert matcher(setup=["set-up"]).find("we set up the thing") == {"setup"}


def test_a_joined_word_is_not_the_same_as_two_words():
    assert matcher(setup=["set up"]).find("the setup was quick") == set()


def test_a_phrase_inside_a_longer_word_does_not_match():
    cat = matcher(cat=["cat"])

    assert cat.find("concatenate the catalogue, scatter") == set()
    assert cat.find("my cat") == {"cat"}


def test_a_phrase_must_be_its_words_in_a_row():
    assert matcher(easy=["easy setup"]).find("easy and quick setup") == set()


def test_a_possessive_matches_the_plain_word():
    found = matcher(clover=["clover support"]).find("Clover\u2019s support team replied")

    assert found == {"clover"}


def test_apostrophes_inside_a_word_keep_it_one_word():
    assert matcher(dont=["don't wait"]).find("Don\u2019t wait for it") == {"dont"}
    assert matcher(wait=["t wait"]).find("Don't wait") == set()


def test_emoji_in_the_text_separate_words():
    easy = matcher(easy=["easy setup"])

    assert easy.find("\U0001f680easy\U0001f525setup\U0001f44d") == {"easy"}
    assert easy.find("\U0001f468\u200d\U0001f469\u200d\U0001f467 easy setup") == {"easy"}


def test_a_text_of_only_emoji_matches_nothing():
    assert matcher(easy=["easy setup"]).find("\U0001f680\U0001f525") == set()


def test_emoji_in_a_phrase_are_ignored():
    assert matcher(deal=["\U0001f525 deal"]).find("what a deal") == {"deal"}


def test_several_keys_are_found_in_one_text():
    found = matcher(
        easy=["easy setup"], price=["fair price", "cheap"], support=["great support"]
    ).find("Easy setup and a fair price.")

    assert found == {"easy", "price"}


def test_a_key_is_found_once_whichever_of_its_phrases_matched():
    assert matcher(price=["fair price", "cheap"]).find("cheap, a fair price") == {"price"}


def test_overlapping_phrases_are_all_found():
    found = matcher(
        setup=["easy setup"], whole=["very easy setup guide"], guide=["setup guide"]
    ).find("a very easy setup guide")

    assert found == {"setup", "whole", "guide"}


def test_a_phrase_shared_by_two_keys_finds_both():
    assert matcher(a=["fast sync"], b=["fast sync"]).find("fast sync!") == {"a", "b"}


def test_keys_may_be_any_hashable_value():
    found = PhraseMatcher.build({7: ["acme"], ("x", 1): ["globex"]}).find("acme and globex")

    assert found == {7, ("x", 1)}


def test_find_many_answers_each_text_in_order():
    texts = ["easy setup", "nothing here", "", "a fair price and easy setups"]

    found = matcher(easy=["easy setup"], price=["fair price"]).find_many(texts)

    assert found == [{"easy"}, set(), set(), {"easy", "price"}]


def test_an_empty_matcher_finds_nothing():
    empty = PhraseMatcher.build({})

    assert empty.find("anything at all") == set()
    assert empty.find_many(["a", "b"]) == [set(), set()]


def test_a_key_without_phrases_is_never_found():
    assert matcher(none=[], easy=["easy"]).find("easy") == {"easy"}


@pytest.mark.parametrize("phrase", ["", "   ", "\t\n", "...", "\U0001f680 \U0001f525", "-"])
def test_a_phrase_without_words_is_refused(phrase):
    with pytest.raises(EmptyPhrase) as refused:
        PhraseMatcher.build({"message": ["fine", phrase]})

    assert isinstance(refused.value, ValueError)
    assert refused.value.key == "message"
    assert refused.value.phrase == phrase


def test_a_bare_string_instead_of_a_list_of_phrases_is_refused():
    with pytest.raises(TypeError):
        PhraseMatcher.build({"message": "easy setup"})


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="klingon"):
        PhraseMatcher.build({"a": ["b"]}, language="klingon")


def test_another_language_stems_its_own_words():
    french = PhraseMatcher.build({"livraison": ["livraison rapide"]}, language="french")

    assert "french" in languages()
    assert french.language == "french"
    assert french.find("des livraisons rapides") == {"livraison"}


def test_a_matcher_cannot_be_changed():
    easy = matcher(easy=["easy setup"])

    with pytest.raises(AttributeError):
        easy._vocabulary = {}
    with pytest.raises(TypeError):
        easy._vocabulary["x"] = "y"


def test_words_shows_what_the_matcher_compares():
    assert words("Setting-up Cafés, don\u2019t \U0001f680!") == ["set", "up", "cafe", "don't"]
