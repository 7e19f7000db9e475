"""The speech front end: English normalisation of numbers, abbreviations and symbols, phonemes through
espeak-ng (offline), and the symbol set's encoding."""

from __future__ import annotations

import pytest

from genlab.data.text import Symbols, normalise, number_words, ordinal_words, to_symbols
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
