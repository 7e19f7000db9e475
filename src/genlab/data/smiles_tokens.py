"""Molecules as tokens: a SMILES string split at the atom level (the usual regex, Schwaller et al. 2019) or
into SELFIES symbols (Krenn et al. 2020), and a `Vocabulary` that turns token lists into padded id arrays and
back.

Every id array starts with <bos> and ends with <eos>, padded with <pad> (id 0) to one length, so a language
model reads (N, L) integers like any other discrete data; the models take PAD, BOS and EOS from here.
SELFIES needs the selfies package (chemistry.py says what to install when it is missing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .chemistry import require

TOKENIZERS = ("smiles", "selfies")
SPECIALS = ("<pad>", "<bos>", "<eos>")  # ids 0, 1, 2
PAD, BOS, EOS = range(len(SPECIALS))
# Atom-level SMILES tokens: bracket atoms, two-letter halogens, organic-subset atoms, bonds, branches, ring
# closures (Schwaller et al. 2019, "Molecular Transformer").
SMILES_TOKEN = re.compile(r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|"
                          r"%[0-9]{2}|[0-9])")


def tokenize(smiles: str, tokenizer: str = "smiles") -> list[str]:
    """A molecule's tokens: atom-level SMILES, or the SELFIES symbols of its SELFIES string."""
    if tokenizer == "smiles":
        tokens = SMILES_TOKEN.findall(smiles)
        if "".join(tokens) != smiles:
            raise ValueError(f"SMILES {smiles!r} holds characters no token covers")
        return tokens
    if tokenizer == "selfies":
        selfies = require("selfies")
        return list(selfies.split_selfies(selfies.encoder(smiles)))
    raise ValueError(f"tokenizer {tokenizer!r} is not one of {TOKENIZERS}")


def detokenize(tokens: Sequence[str], tokenizer: str = "smiles") -> str:
    """The SMILES string behind tokens (SELFIES decoded: any SELFIES symbols give a valid molecule)."""
    if tokenizer == "smiles":
        return "".join(tokens)
    if tokenizer == "selfies":
        return require("selfies").decoder("".join(tokens))
    raise ValueError(f"tokenizer {tokenizer!r} is not one of {TOKENIZERS}")


@dataclass(frozen=True)
class Vocabulary:
    """Token strings by id: the specials first (<pad> 0, <bos> 1, <eos> 2), then the data's tokens sorted."""

    tokens: tuple[str, ...]

    @classmethod
    def of(cls, sequences: Iterable[Sequence[str]]) -> Vocabulary:
        seen = sorted({token for sequence in sequences for token in sequence} - set(SPECIALS))
        return cls((*SPECIALS, *seen))

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, sequences: Sequence[Sequence[str]], length: int | None = None) -> np.ndarray:
        """(N, L) ids: <bos>, the tokens, <eos>, then <pad>; L = `length` or the longest sequence + 2. A
        token outside the vocabulary, or a sequence longer than L allows, is a ValueError."""
        index = {token: i for i, token in enumerate(self.tokens)}
        length = length or max(len(s) for s in sequences) + 2
        out = np.full((len(sequences), length), PAD, np.uint8 if len(self) <= 256 else np.int32)
        for row, sequence in enumerate(sequences):
            if len(sequence) + 2 > length:
                raise ValueError(f"a sequence of {len(sequence)} tokens does not fit {length} positions")
            try:
                out[row, 1 : len(sequence) + 1] = [index[t] for t in sequence]
            except KeyError as err:
                raise ValueError(f"token {err.args[0]!r} is not in the vocabulary") from None
            out[row, 0], out[row, len(sequence) + 1] = BOS, EOS
        return out

    def decode(self, ids: np.ndarray) -> list[list[str]]:
        """Token lists of id rows (N, L): what follows <bos> up to the first <eos> (or the row's end), with any
        other special left out."""
        out = []
        for row in np.asarray(ids):
            tokens = []
            for i in row[1:] if len(row) and row[0] == BOS else row:
                if i == EOS:
                    break
                if i >= len(SPECIALS):
                    tokens.append(self.tokens[i])
            out.append(tokens)
        return out


def tokenizes(smiles: str, tokenizer: str) -> bool:
    """Whether a valid molecule can be written in `tokenizer`'s tokens (SELFIES refuses hypervalent atoms, the
    SMILES regex ring closures above 99)."""
    try:
        tokenize(smiles, tokenizer)
    except Exception:  # noqa: BLE001  (selfies raises its own EncoderError)
        return False
    return True
