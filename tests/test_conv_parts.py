"""The conv parts the VAE, the SSVAE and the classifier share (models/conv_parts.py)."""

from __future__ import annotations

import torch

from genlab.data.spec import DatasetSpec
from genlab.models.conv_parts import ConvDecoder, Pyramid, conv_encoder, conv_trunk
from genlab.models.registry import build_model

DIGITS = DatasetSpec("digits", (1, 8, 8), 17, num_classes=10, class_names=tuple("0123456789"))


def test_classifier_keeps_the_state_dict_names_cached_feature_classifiers_load_by():
    model = build_model("classifier", DIGITS, {"channels": 8})
    res = lambda i: {f"body.{i}.body.{j}.{p}" for j in (1, 4) for p in ("weight", "bias")}  # noqa: E731
    conv = lambda i: {f"body.{i}.weight", f"body.{i}.bias"}  # noqa: E731
    # stem, ResBlock at 8x8, stride-2 conv, ResBlock at 4x4, then SiLU, pooling, flatten (no parameters)
    expected = conv(0) | res(1) | conv(2) | res(3) | {"to_logits.weight", "to_logits.bias"}
    assert set(model.state_dict()) == expected
    assert model.features(torch.zeros(2, 1, 8, 8, dtype=torch.long)).shape == (2, model.feature_dim)


def test_encoder_is_the_trunk_flattened_and_the_decoder_mirrors_it():
    pyramid = Pyramid((3, 12, 10), 8)
    assert pyramid.sizes == [(12, 10), (6, 5), (3, 3)] and pyramid.widths == [8, 16, 32]
    trunk = torch.nn.Sequential(*conv_trunk(pyramid, blocks=1))
    encoder = conv_encoder(pyramid, blocks=1)
    encoder.load_state_dict(trunk.state_dict())  # same layers, same names
    x = torch.randn(2, 3, 12, 10)
    assert torch.equal(encoder(x), trunk(x).flatten(1))
    assert encoder(x).shape == (2, pyramid.flat) == (2, 32 * 3 * 3)
    decoder = ConvDecoder(pyramid, in_features=5, params_per_channel=4, blocks=1)
    assert decoder(torch.randn(2, 5)).shape == (2, 3 * 4, 12, 10)
