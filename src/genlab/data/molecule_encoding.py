"""Molecules to and from a dataset's token ids: SMILES splits encoded into a tokens `Dataset`
(`token_dataset`, which the MOSES, ChEMBL assay and molecule-file loaders all end in), and, for a trained
run's spec, its sampled ids read back as SMILES (`smiles_of`) and molecules a user names encoded in its
vocabulary (`molecule_tokens`, `encode_molecules`), each checked first so a refusal says why in one line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genlab.errors import UserError

from .chemistry import MAX_SMILES, canonical
from .smiles_tokens import Vocabulary, detokenize, tokenize
from .spec import Dataset, DatasetSpec, ExtraSpec, Split


def token_dataset(name: str, splits: dict[str, list[str]], tokenizer: str, *, length: int | None = None,
                  properties: dict[str, np.ndarray] | None = None, property_names: Sequence[str] = (),
                  notes: Sequence[str] = ()):
    """A tokens Dataset of SMILES splits {"train", "val", "test"}: ids (N, L) over the vocabulary of all of
    them, L = `length` + 2 or the longest molecule's tokens + 2; `properties` (split -> (N, K) floats named
    `property_names`) become the extra "properties"."""
    tokens = {split: [tokenize(s, tokenizer) for s in smiles] for split, smiles in splits.items()}
    vocabulary = Vocabulary.of(t for sequences in tokens.values() for t in sequences)
    longest = max(len(t) for sequences in tokens.values() for t in sequences)
    positions = max(longest, length or 0) + 2
    extras = () if properties is None else (ExtraSpec("properties", (len(property_names),), "float64",
                                                       names=tuple(property_names)),)
    spec = DatasetSpec(name, (positions,), len(vocabulary), modality="tokens", vocabulary=vocabulary.tokens,
                       tokenizer=tokenizer, extras=extras, notes=tuple(notes))
    split = {name: Split(vocabulary.encode(sequences, positions),
                         extras={} if properties is None else {"properties": properties[name]})
             for name, sequences in tokens.items()}
    return Dataset(spec, split["train"], split["val"], split["test"])


def smiles_of(spec, x: np.ndarray) -> list[str]:
    """The SMILES each row of token ids x (N, L) of a run's dataset `spec` spells (valid or not)."""
    vocabulary, tokenizer = Vocabulary(spec.vocabulary), spec.tokenizer or "smiles"
    return [detokenize(tokens, tokenizer) for tokens in vocabulary.decode(x)]


def molecule_tokens(spec, smiles: str) -> list[str] | str:
    """The tokens a run's dataset `spec` writes molecule `smiles` in (canonical first), or, when it cannot,
    the sentence saying why: RDKit cannot read it, it holds tokens the run never saw, or it is too long."""
    vocabulary, tokenizer, length = Vocabulary(spec.vocabulary), spec.tokenizer or "smiles", spec.shape[0]
    if len(smiles) > MAX_SMILES:  # before RDKit, whose time grows faster than the length
        return (f"{smiles[:20]}... is {len(smiles):,} characters long, more than genlab reads ({MAX_SMILES:,}): "
                "choose a smaller molecule.")
    smiles_canonical = canonical(smiles)
    if smiles_canonical is None:
        return f"{smiles!r} is not a molecule RDKit can read: give a valid SMILES string."
    try:
        tokens = tokenize(smiles_canonical, tokenizer)
    except Exception:  # noqa: BLE001  (selfies raises its own EncoderError)
        return f"{smiles} cannot be written in {tokenizer} tokens: choose another molecule."
    unknown = sorted(set(tokens) - set(vocabulary.tokens))
    if unknown:
        return (f"{smiles} holds {', '.join(unknown)}, which the run never saw in training: choose a molecule made "
                "of the training set's atoms and bonds.")
    if len(tokens) + 2 > length:
        return (f"{smiles} is {len(tokens)} tokens long and the run's molecules at most {length - 2}: choose a "
                "smaller molecule.")
    return tokens


def encode_molecules(spec, smiles: Sequence[str]) -> np.ndarray:
    """Molecules named by the user (SMILES) as token ids (N, L) of a run's dataset `spec`, each checked by
    `molecule_tokens`; a one-line UserError for the first that fails."""
    sequences = []
    for text in smiles:
        tokens = molecule_tokens(spec, text)
        if isinstance(tokens, str):
            raise UserError(tokens)
        sequences.append(tokens)
    return Vocabulary(spec.vocabulary).encode(sequences, spec.shape[0])
