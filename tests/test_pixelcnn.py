"""Gated PixelCNN: causal in raster and channel order with no blind spot, an exact likelihood that sums to
one, and a fast sampler that draws from exactly the conditionals log_prob scores."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import to_unit_range
from genlab.models.pixelcnn import PixelCNN
from genlab.models.registry import build_model


def pixelcnn(spec: DatasetSpec, **options) -> PixelCNN:
    """A small random model; a conditional one gets random label embeddings (they start at zero)."""
    torch.manual_seed(0)
    model = build_model("pixelcnn", spec, {"channels": 8, "layers": 2, "kernel": 3} | options).eval()
    for layer in model.layers:
        if layer.label_bias is not None:
            torch.nn.init.normal_(layer.label_bias.weight)
    return model


def all_images(spec: DatasetSpec) -> torch.Tensor:
    """Every image of a tiny spec, (levels ** dims, C, H, W)."""
    values = itertools.product(range(spec.levels), repeat=spec.dims)
    return torch.tensor(list(values)).view(-1, *spec.shape)


def input_gradient(model: PixelCNN, shape: tuple[int, int, int], i: int, j: int, c: int) -> torch.Tensor:
    """|d params of channel c at (i, j) / d input| for one random image: (C, H, W)."""
    xs = torch.rand(1, *shape, requires_grad=True)
    params = model._params(xs * 2 - 1, None)  # (1, C * P, H, W)
    per_channel = model.head.params_per_channel
    params[0, c * per_channel : (c + 1) * per_channel, i, j].sum().backward()
    return xs.grad[0].abs()


@pytest.mark.parametrize("shape, levels", [((1, 12, 12), 256), ((3, 12, 12), 256), ((3, 12, 12), 4)])
def test_causal_in_raster_and_channel_order_with_no_blind_spot(shape, levels):
    """Three 3-wide layers on the 7-wide stem see 7 rows up and 6 columns right: check 5 of each, beyond
    what the stem alone covers, so the gated layers' vertical stack must reach the horizontal one."""
    model = pixelcnn(DatasetSpec("s", shape, levels), layers=3)
    n_channels, i, j = shape[0], 7, 6
    for c in range(n_channels):
        grad = input_gradient(model, shape, i, j, c)
        for ch, row, col in itertools.product(range(n_channels), range(shape[1]), range(shape[2])):
            if (row, col, ch) >= (i, j, c):
                assert grad[ch, row, col] == 0, f"channel {c} at {(i, j)} sees channel {ch} at {(row, col)}"
            # Everything earlier nearby is seen, including the pixels above and to the right that a masked
            # PixelCNN's blind spot misses, e.g. (i - 1, j + 2) and (i - 2, j + 5).
            elif i - row <= 5 and abs(j - col) <= 5:
                assert grad[ch, row, col] > 0, f"channel {c} at {(i, j)} is blind to channel {ch} at {(row, col)}"


@pytest.mark.parametrize(
    "shape, levels, likelihood",
    [((1, 2, 2), 3, "categorical"), ((1, 2, 2), 3, "logistic_mixture"), ((3, 1, 2), 2, "categorical"),
     ((3, 1, 2), 3, "logistic_mixture")],
)
def test_exact_likelihood_sums_to_one(shape, levels, likelihood):
    spec = DatasetSpec("tiny", shape, levels, num_classes=2)
    images = all_images(spec)
    for model in (pixelcnn(spec, likelihood=likelihood), pixelcnn(spec, likelihood=likelihood, conditional=True)):
        for label in range(2 if model.is_conditional else 1):
            condition = torch.full((len(images),), label) if model.is_conditional else None
            result = model.log_prob(images, condition)
            assert result.bound == "exact"
            assert torch.logsumexp(result.nats.double(), 0).item() == pytest.approx(0.0, abs=1e-4)


class ReplayHead:
    """Stands in for the model's head while sampling: records the parameters each draw is made from and
    returns the levels of a fixed image, so the sampler walks through that image."""

    def __init__(self, head, image: torch.Tensor):
        self.head, self.image = head, image  # image (n, C, H, W)
        self.params_per_channel = head.params_per_channel
        self.calls: list[torch.Tensor] = []

    def sample(self, params: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        channels, _, width = self.image.shape[1:]
        pixel = len(self.calls) // channels
        self.calls.append(params.clone())
        i, j = divmod(pixel, width)
        return self.image[:, :, i : i + 1, j : j + 1]  # (n, C, 1, 1)


@pytest.mark.parametrize("shape, levels", [((3, 9, 8), 256), ((1, 11, 12), 5)])
def test_sampler_uses_the_same_conditionals_as_log_prob(shape, levels):
    """Cropping rows and columns while sampling changes nothing: each draw's parameters equal those one
    full pass over the finished image gives."""
    spec = DatasetSpec("s", shape, levels, num_classes=3)
    model = pixelcnn(spec, conditional=True)
    labels = torch.tensor([0, 2])
    image = torch.randint(0, levels, (2, *shape), generator=torch.Generator().manual_seed(0))
    full = model._params(to_unit_range(image, levels), labels)  # (n, C * P, H, W)
    replay = ReplayHead(model.head, image)
    model.head = replay
    assert torch.equal(model.sample(2, labels), image)
    channels, height, width = shape
    per_channel = replay.params_per_channel
    assert len(replay.calls) == channels * height * width
    for k, params in enumerate(replay.calls):
        (i, j), c = divmod(k // channels, width), k % channels
        part = slice(c * per_channel, (c + 1) * per_channel)
        torch.testing.assert_close(params[:, part, 0, 0], full[:, part, i, j], atol=1e-5, rtol=1e-5)


def test_samples_follow_the_model_distribution():
    spec = DatasetSpec("tiny", (1, 2, 2), 3)
    model = pixelcnn(spec)
    images = all_images(spec)
    probs = model.log_prob(images).nats.exp()  # (81,)
    torch.manual_seed(0)
    x = model.sample(4000)
    index = (x.flatten(1) * torch.tensor([27, 9, 3, 1])).sum(1)
    freq = torch.bincount(index, minlength=len(images)).float() / len(x)
    assert 0.5 * (freq - probs).abs().sum() < 0.06  # total variation; sampling noise alone gives ~0.04


def test_training_lowers_the_loss():
    spec = DatasetSpec("grey17", (1, 8, 8), 17)
    model = pixelcnn(spec).train()
    batch = {"x": torch.randint(0, 3, (16, *spec.shape), generator=torch.Generator().manual_seed(0)) * 8}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        out = model(batch)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        first = first if first is not None else float(out["bpd"])
    # Uniform over 17 levels costs log2(17) = 4.09 bits/dim; these images use three levels only.
    assert first > 3.0 and float(out["bpd"]) < math.log2(3) + 0.2


@pytest.mark.parametrize("options", [{"kernel": 4}, {"kernel": 1}, {"channels": 0}, {"layers": 0}, {"mixtures": 0}])
def test_bad_options_are_user_errors(options):
    with pytest.raises(UserError):
        build_model("pixelcnn", DatasetSpec("s", (1, 8, 8), 256), options)


def test_labels_change_the_distribution_and_are_required():
    model = pixelcnn(DatasetSpec("s", (1, 4, 4), 2, num_classes=2), conditional=True)
    x = torch.randint(0, 2, (3, 1, 4, 4), generator=torch.Generator().manual_seed(0))
    zeros, ones = (model.log_prob(x, torch.full((3,), label)).nats for label in (0, 1))
    assert (zeros - ones).abs().min() > 1e-3
    with pytest.raises(ValueError, match="labels"):
        model.sample(1)
