"""The speech front end: English normalisation of numbers, abbreviations and symbols, phonemes through
espeak-ng (offline), and the symbol set's encoding."""

from __future__ import annotations

import pytest

from genlab.data.text import MAX_PIECE, Symbols, normalise, number_words, ordinal_words, speech_pieces, to_symbols
from genlab.errors import UserError


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"), (100, "one hundred"),
    (1234, "one thousand two hundred thirty four"), (1_000_001, "one million one"), (-7, "minus seven"),
])
def test_number_words(n, words):
    assert number_words(n) == words


def test_ordinals():
    assert [ordinal_words(n) for n in (1, 2, 3, 12, 21, 40, 100)] == [
        "first", "second", "third", "twelfth", "twenty first", "fortieth", "one hundredth"]


@pytest.mark.parametrize("written, spoken", [
    ("Dr. Smith paid $3.50 on May 21st, 1984.",
     "doctor smith paid three dollars fifty cents on may twenty first, nineteen eighty four."),
    ("In 2005, 1905 and 2026!", "in two thousand five, nineteen oh five and twenty twenty six!"),
    ("15% of 1,234 & 3.14?", "fifteen percent of one thousand two hundred thirty four and three point one four?"),
    ("  Mr.   JONES\tsaid:  \u201cno\u201d  ", 'mister jones said: "no"'),
    ("$1 and 1500 people", "one dollar and fifteen hundred people"),
])
def test_normalise_says_what_is_written(written, spoken):
    assert normalise(written) == spoken


def test_phonemes_keep_stress_and_punctuation_and_characters_need_nothing():
    phonemes = to_symbols(["Hello, world!", "It is 2 o'clock."])
    assert phonemes[0].startswith("h") and "ˈ" in phonemes[0] and phonemes[0].endswith("!") and "," in phonemes[0]
    assert "tˈuː" in phonemes[1]  # the number was said
    assert to_symbols(["Hello, Dr. Who!"], "characters") == ["hello, doctor who!"]
    with pytest.raises(UserError, match="front_end=letters"):
        to_symbols(["x"], "letters")


def test_symbols_encode_what_they_hold_and_count_the_rest():
    symbols = Symbols.of(["ab c", "ba!"])
    assert symbols.symbols == ("<pad>", " ", "!", "a", "b", "c")
    ids, dropped = symbols.encode("cab?z")
    assert ids == [5, 3, 4] and dropped == 2 and symbols.decode(ids) == "cab" and len(symbols) == 6


def test_long_text_is_said_in_pieces_of_bounded_length():
    """Sentences first, then clauses of a long sentence, then words of a long clause, then a long word: no piece
    is longer than MAX_PIECE characters whatever the text (one 5,000-word sentence said whole took 20 GB), and
    the pieces hold every word in order."""
    unpunctuated = " ".join(["the old man walked along the quiet road"] * 700)  # 5,600 words, no punctuation
    pieces = speech_pieces(unpunctuated)
    assert len(pieces) > 100 and max(map(len, pieces)) <= MAX_PIECE
    assert " ".join(pieces) == unpunctuated  # cut between words, none lost
    assert speech_pieces("Mr. Smith paid $3.50. Then he left; fine! Is it? yes") == [
        "mister smith paid three dollars fifty cents.", "then he left;", "fine!", "is it?", "yes"]
    clauses = "One, two, three: four - five, six."
    assert speech_pieces(clauses) == ["one, two, three: four - five, six."]  # short: one sentence, whole
    assert speech_pieces(clauses, limit=12) == ["one, two,", "three:", "four - five,", "six."]
    assert speech_pieces("forty-two " * 3, limit=12) == ["forty-two", "forty-two", "forty-two"]  # no cut at a hyphen
    assert speech_pieces("a" * 450) == ["a" * 200, "a" * 200, "a" * 50]
    assert speech_pieces("  ") == []


def test_very_long_numbers_are_read_digit_by_digit():
    assert normalise("Code 12345678901234567.") == "code " + " ".join(
        "one two three four five six seven eight nine zero one two three four five six seven".split()) + "."
    assert normalise("9" * 5000).split() == ["nine"] * 5000  # int() refuses 4,300 digits: no traceback
    assert normalise("$" + "1" * 20).split()[-1] == "dollars"
    assert normalise("123456789012345th").startswith("one hundred twenty three trillion")
