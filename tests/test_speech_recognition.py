"""The intelligibility metric: edit distances and error rates on constructed transcripts, the spoken words of
written text, and PocketSphinx hearing espeak-ng's clearly spoken digits (offline, from the wheel's model)."""

from __future__ import annotations

import pytest

from genlab.data.text import spoken_words
from genlab.metrics.recognition import Recogniser, available, edit_distance, error_rates


def test_edit_distance_counts_substitutions_insertions_and_deletions():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["a", "b"]) == 2 and edit_distance(["a"], []) == 1 and edit_distance("ab", "ab") == 0


def test_error_rates_sum_edits_over_reference_words():
    pairs = [("the cat sat".split(), "the cat sat".split()), ("on a mat".split(), "on the mat now".split())]
    rates = error_rates(pairs)
    assert rates["wer"] == pytest.approx(2 / 6)  # one substitution, one insertion over six words
    assert rates["cer"] == pytest.approx((3 + 4) / (11 + 8))  # "a" -> "the" (1 sub, 2 ins), " now" (4 ins)
    assert error_rates([(["hello"], [])]) == {"wer": 1.0, "cer": 1.0}


def test_spoken_words_say_numbers_and_drop_punctuation():
    assert spoken_words("It costs $12.50, not $15!") == "it costs twelve dollars fifty cents not fifteen dollars".split()
    assert spoken_words("Forty-two: Dr. Smith's 3rd try.") == "forty two doctor smith's third try".split()


@pytest.mark.skipif(not available(), reason="pocketsphinx (the speech extra) is not installed")
def test_the_recogniser_hears_clearly_spoken_digits():
    from genlab.data.espeak import speak

    waves, rate, _ = speak(["one two three four five"])
    heard = Recogniser().words(waves[0] / 32768.0, rate)  # int16 samples to [-1, 1]
    assert error_rates([("one two three four five".split(), heard)])["wer"] <= 0.4, heard
