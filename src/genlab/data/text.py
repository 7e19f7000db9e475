"""Text into the symbols a speech model reads: English normalisation, then phonemes or characters.

1. `normalise`: what a reader says for what is written — abbreviations (Mr., Dr., St., etc.), numbers
   (cardinals, decimals, ordinals, years read in pairs, currency and percentages), symbols (&, %, +), case,
   whitespace. espeak-ng reads numbers too, but doing it here makes the character front end and the phoneme
   front end say the same words, and keeps the rules visible and tested.
2. `phonemise`: IPA phonemes with stress marks and punctuation kept, through `phonemizer` on the espeak-ng
   library that the `espeakng-loader` wheel ships (offline). Each Unicode character of its output is a
   symbol (stress ˈ ˌ and length ː included), so the symbol set is small and fixed by the data.
3. `Symbols`: the set a run was trained on (stored in the run folder), `<pad>` first; `encode` turns text
   into ids and drops what the set does not hold, counting it.

`front_end="characters"` skips step 2 (a fallback that needs nothing installed): lower-case letters,
digits never survive normalisation, punctuation and spaces.

`speech_pieces` cuts a text into the pieces a speech model says one at a time (sentences, clauses, runs of
words of at most MAX_PIECE characters): a model attends over all of an utterance's symbols and frames at once,
so memory grows with the square of a piece's length, and it never trained on utterances much longer.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from genlab.errors import UserError

PAD = "<pad>"
PUNCTUATION = ".,;:!?-'\"()"  # kept as symbols: they shape pauses and intonation
FRONT_ENDS = ("phonemes", "characters")
INSTALL = "pip install 'genlab[speech]'"

ABBREVIATIONS = {
    "mr": "mister", "mrs": "missus", "ms": "miss", "dr": "doctor", "st": "saint", "co": "company",
    "jr": "junior", "sr": "senior", "ltd": "limited", "gen": "general", "gov": "governor", "capt": "captain",
    "col": "colonel", "lt": "lieutenant", "sgt": "sergeant", "rev": "reverend", "prof": "professor",
    "no": "number", "vs": "versus", "etc": "et cetera", "approx": "approximately", "dept": "department",
}
SYMBOL_WORDS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at ", "#": " number "}

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"  # 1,234,567 or 1234567 (a comma after a number is punctuation)
LONGEST_NUMBER = 15  # digits read as one number (up to hundreds of trillions); a longer run is read digit by digit
# Characters of normalised text said at once: about 13 s at a reading pace of 15 a second, inside the 20 s of the
# longest utterances a tts trains on (model.max_seconds).
MAX_PIECE = 200
SENTENCE_END = r"(?<=[.!?;])\s+"
CLAUSE_END = r"(?<=[,:])\s+|(?<=\s-)\s+"  # after a comma, a colon or a dash (" - ", as normalise writes one)
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}


def number_words(n: int) -> str:
    """An integer as English words: 1234 -> 'one thousand two hundred thirty four'."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{number_words(head)} {name}" + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError(n)  # unreachable: every n >= 100 meets a scale


def _whole_words(digits: str) -> str:
    """A run of digits as words: one number up to LONGEST_NUMBER digits, else digit by digit (as a reader says a
    long code), which also keeps Python's int() under its limit of 4,300 digits."""
    if len(digits) > LONGEST_NUMBER:
        return " ".join(_ONES[int(d)] for d in digits)
    return number_words(int(digits))


def ordinal_words(n: int) -> str:
    """21 -> 'twenty first', 12 -> 'twelfth', 40 -> 'fortieth'."""
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _year_words(n: int) -> str:
    """Years read in pairs: 1984 -> 'nineteen eighty four', 2005 -> 'two thousand five', 1900 -> 'nineteen hundred'."""
    head, tail = divmod(n, 100)
    if 2000 <= n < 2010:
        return number_words(n)
    if tail == 0:
        return f"{number_words(head)} hundred"
    return f"{number_words(head)} {'oh ' if tail < 10 else ''}{number_words(tail)}"


def _money(match: re.Match) -> str:
    whole, cents = match.group(1).replace(",", ""), match.group(2)
    words = f"{_whole_words(whole)} dollar{'' if whole == '1' else 's'}"
    if cents and int(cents):
        words += f" {number_words(int(cents))} cent{'' if cents == '01' else 's'}"
    return f" {words} "


def _number(match: re.Match) -> str:
    text = match.group(0).replace(",", "")
    if "." in text:
        whole, fraction = text.split(".", 1)
        return f" {_whole_words(whole or '0')} point {' '.join(_ONES[int(d)] for d in fraction)} "
    if len(text) > LONGEST_NUMBER:
        return f" {_whole_words(text)} "
    value = int(text)
    if match.group(0).isdigit() and len(text) == 4 and 1100 <= value <= 2099:  # read as a year
        return f" {_year_words(value)} "
    return f" {number_words(value)} "


def normalise(text: str) -> str:
    """Written English as spoken words, lower case, single spaces (see the module's docstring)."""
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').replace("\u2014", " - ")
    text = re.sub(r"\$(" + _DIGITS + r")(?:\.(\d\d))?", _money, text)
    text = re.sub(rf"\b(\d{{1,{LONGEST_NUMBER}}})(st|nd|rd|th)\b", lambda m: f" {ordinal_words(int(m.group(1)))} ", text, flags=re.I)
    text = re.sub(_DIGITS + r"(?:\.\d+)?", _number, text)
    for symbol, words in SYMBOL_WORDS.items():
        text = text.replace(symbol, words)
    text = re.sub(r"\b([A-Za-z]+)\.", lambda m: ABBREVIATIONS.get(m.group(1).lower(), m.group(0)), text)
    text = text.lower()
    text = re.sub(r"[^a-z\s" + re.escape(PUNCTUATION) + "]", " ", text)  # anything else is not said
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)  # no space before punctuation
    return re.sub(r"\s+", " ", text).strip()


def spoken_words(text: str) -> list[str]:
    """The words said for a written text (normalised; punctuation but the apostrophe dropped, so "forty-two"
    is two words): what a recogniser's transcript is scored against (metrics/recognition.py)."""
    return re.sub(r"[^a-z']+", " ", normalise(text)).split()


def _joined(parts: Sequence[str], limit: int) -> list[str]:
    """Consecutive parts joined by spaces into as few pieces of at most `limit` characters as they allow (a part
    longer than `limit` stays a piece of its own)."""
    pieces: list[str] = []
    for part in parts:
        if pieces and len(pieces[-1]) + 1 + len(part) <= limit:
            pieces[-1] += " " + part
        else:
            pieces.append(part)
    return pieces


def speech_pieces(text: str, limit: int = MAX_PIECE) -> list[str]:
    """The normalised text in the pieces a speech model says one at a time, each at most `limit` characters: its
    sentences (cut after . ! ? ;); a longer sentence cut after its clauses' punctuation (, : and dashes), clauses
    joined again while they fit; a longer clause cut between words; a longer word cut every `limit` characters.
    Whatever the text's length, no piece is longer, so neither is the memory of saying one (module docstring)."""
    pieces = []
    for sentence in re.split(SENTENCE_END, normalise(text)):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for clause in _joined(re.split(CLAUSE_END, sentence), limit):
            if len(clause) <= limit:
                pieces.append(clause)
                continue
            words = [word[i : i + limit] for word in clause.split() for i in range(0, len(word), limit)]
            pieces += _joined(words, limit)
    return [piece for piece in pieces if piece]


def _phonemizer():
    """phonemize, set up on the espeak-ng library of the espeakng-loader wheel; a UserError if missing."""
    for module in ("phonemizer", "espeakng_loader"):
        if importlib.util.find_spec(module) is None:
            raise UserError(f"The phoneme front end needs the {module} package, which is not installed: {INSTALL} "
                            "(or --set data.front_end=characters).")
    import espeakng_loader
    from phonemizer import phonemize
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
    return phonemize


def phonemise(texts: Sequence[str]) -> list[str]:
    """IPA phonemes (with stress and punctuation) of already-normalised English texts, in one call."""
    import logging

    phonemize = _phonemizer()
    quiet = logging.getLogger("genlab.phonemizer")
    quiet.setLevel(logging.ERROR)
    out = phonemize(list(texts), language="en-us", backend="espeak", with_stress=True, preserve_punctuation=True,
                    punctuation_marks=PUNCTUATION, strip=True, njobs=1, logger=quiet)
    return [re.sub(r"\s+", " ", p).strip() for p in out]


def to_symbols(texts: Sequence[str], front_end: str = "phonemes") -> list[str]:
    """Raw texts as the strings of symbols a model reads: normalised, then phonemised (or left as characters)."""
    if front_end not in FRONT_ENDS:
        raise UserError(f"data.front_end={front_end} is not a text front end: use one of {', '.join(FRONT_ENDS)}.")
    spoken = [normalise(t) for t in texts]
    return phonemise(spoken) if front_end == "phonemes" else spoken


@dataclass(frozen=True)
class Symbols:
    """The symbol set of a run: `<pad>` (id 0), then single characters (phonemes or letters, punctuation, space)."""

    symbols: tuple[str, ...]

    @classmethod
    def of(cls, strings: Sequence[str]) -> Symbols:
        """The sorted set of characters in `strings`, after <pad>."""
        return cls((PAD, *sorted(set("".join(strings)))))

    def encode(self, string: str) -> tuple[list[int], int]:
        """(the ids of the characters the set holds, how many it dropped)."""
        index = {s: i for i, s in enumerate(self.symbols)}
        ids = [index[c] for c in string if c in index]
        return ids, len(string) - len(ids)

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.symbols[i] for i in ids if i != 0)

    def __len__(self) -> int:
        return len(self.symbols)
