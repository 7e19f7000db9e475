"""Lossless coding with an autoregressive model: every sub-pixel is coded with the model's probabilities of
its level given everything before it, by constriction's ANS coder, so a file costs -log2 p(x) bits plus
a few dozen bits of coder overhead.

Encoder and decoder walk the model in the same order on the same canvas (`walk_conditionals`), so they
compute bitwise the same float probabilities; constriction then quantises those to integers with a fixed,
platform-independent rule (`Categorical(perfect=False)`). ANS is a stack: the encoder walks chunks of
images in reverse and pushes each chunk's symbols in reverse, so the decoder pops them in reading order.
"""

from __future__ import annotations

from collections.abc import Callable

import constriction
import numpy as np
import torch

from genlab.models.base import GenerativeModel

CHUNK = 100  # images walked together: larger is faster per image, and needs CHUNK * dims * levels floats


def _chunks(count: int) -> list[slice]:
    return [slice(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


def _categorical():
    return constriction.stream.model.Categorical(perfect=False)


def compress(model: GenerativeModel, x: np.ndarray,
             progress: Callable[[int], None] = lambda n: None) -> tuple[np.ndarray, float]:
    """Images x (N, C, H, W) of levels -> (the coder's words (uint32), the model's log p(x) in nats, summed over
    the images: what the file should cost, read off the same walk). progress(n) after each chunk."""
    coder = constriction.stream.stack.AnsCoder()
    log_p = 0.0
    for part in reversed(_chunks(len(x))):
        images = torch.from_numpy(x[part]).long().to(model.device)  # (n, C, H, W)
        steps: list[tuple[np.ndarray, np.ndarray]] = []

        def choose(log_probs: torch.Tensor, ch: int, images=images, steps=steps) -> torch.Tensor:
            i, j = divmod(len(steps) // images.shape[1], images.shape[3])
            levels = images[:, ch, i, j]  # (n,)
            steps.append((levels.cpu().numpy().astype(np.int32), log_probs.exp().cpu().numpy()))
            return levels

        model.walk_conditionals(len(images), choose)
        symbols = np.concatenate([s for s, _ in steps])
        probabilities = np.concatenate([p for _, p in steps])  # (steps * n, levels)
        coder.encode_reverse(symbols, _categorical(), probabilities)
        log_p += float(np.log(probabilities[np.arange(len(symbols)), symbols]).sum())
        progress(len(images))
    return coder.get_compressed(), log_p


def decompress(model: GenerativeModel, words: np.ndarray, count: int,
               progress: Callable[[int], None] = lambda n: None) -> np.ndarray:
    """The coder's words -> images (count, C, H, W) uint8."""
    coder = constriction.stream.stack.AnsCoder(words)

    def choose(log_probs: torch.Tensor, ch: int) -> torch.Tensor:
        levels = coder.decode(_categorical(), log_probs.exp().cpu().numpy())
        return torch.from_numpy(levels.astype(np.int64)).to(log_probs.device)

    out = []
    for part in _chunks(count):
        out.append(model.walk_conditionals(part.stop - part.start, choose).cpu().numpy().astype(np.uint8))
        progress(part.stop - part.start)
    return np.concatenate(out) if out else np.zeros((0, *model.spec.shape), np.uint8)
