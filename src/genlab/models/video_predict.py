"""Video prediction: a clip's next frames from its first ones (SimVP, Gao et al. 2022, "SimVP: Simpler yet
Better Video Prediction"), the family the OpenSTL benchmark finds as good as the recurrent ones (ConvLSTM,
PredRNN) at a fraction of their cost: no recurrence, only convolutions.

Three parts. A per-frame encoder (strided convolutions, GroupNorm, SiLU) takes each seen frame to a small
feature map (a quarter of the side); a translator stacks the seen frames' maps along channels and maps them,
through residual grouped convolutions, to the maps of every predicted frame at once; a per-frame decoder
(the encoder mirrored; the last seen frame's full-resolution features added before a 1x1 readout, which keeps
full-resolution work to one transposed convolution) draws each predicted frame. The loss is the mean squared error of the predicted frames on the [-1, 1] scale. Longer forecasts
than the trained horizon feed predictions back in as seen frames.

Defaults are SimVP's layout at a CPU's size: SimVP's Moving MNIST model has 64 spatial and 512 temporal
channels and 8 translator blocks of Inception convolutions; here 16, 128 and 6 blocks of grouped 3x3 ones.
It predicts a single future, the mean of what may come: it does not sample (the `video` family does).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel, ModelConfig, from_unit_range, to_unit_range
from genlab.models.clip_parts import check_context, last_seen


class VideoPredictConfig(ModelConfig):
    context: int = Field(10, gt=0)  # frames seen; a training clip's remaining frames are the ones predicted
    spatial: int = Field(16, gt=0)  # channels of the per-frame encoder and decoder (SimVP's hid_S: 64)
    temporal: int = Field(128, gt=0)  # channels of the translator across frames (SimVP's hid_T: 512)
    blocks: int = Field(6, gt=0)  # translator blocks (SimVP's N_T: 8)
    groups: int = Field(4, gt=0)  # groups of each translator convolution (divides `temporal`)


def conv_block(channels_in: int, channels: int, stride: int = 1, up: bool = False) -> nn.Sequential:
    """3x3 convolution (stride 2 halves the side; `up` doubles it with a transposed 4x4), GroupNorm, SiLU."""
    conv = nn.ConvTranspose2d(channels_in, channels, 4, 2, 1) if up else nn.Conv2d(channels_in, channels, 3, stride, 1)
    return nn.Sequential(conv, nn.GroupNorm(2 if channels % 2 == 0 else 1, channels), nn.SiLU())


class TranslatorBlock(nn.Module):
    """Residual: GroupNorm, grouped 3x3 convolution, SiLU, 1x1 convolution, added back."""

    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.body = nn.Sequential(nn.GroupNorm(groups, channels), nn.Conv2d(channels, channels, 3, 1, 1, groups=groups),
                                  nn.SiLU(), nn.Conv2d(channels, channels, 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.body(h)


class VideoPredict(GenerativeModel):
    """Seen frames -> encoder per frame -> translator over the stacked frames -> decoder per predicted frame."""

    name = "video-predict"
    Config = VideoPredictConfig
    modalities = ("video",)
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: VideoPredictConfig):
        super().__init__(spec, config)
        frames, channels, height, width = spec.shape
        check_context(self.name, spec, config.context)
        if height % 4 or width % 4:
            raise UserError(f"video-predict halves frames twice, and {spec.name}'s are {height}x{width}: use frames "
                            "whose sides divide by 4.")
        if config.temporal % config.groups:
            raise UserError(f"Model option 'groups' ({config.groups}) must divide 'temporal' ({config.temporal}).")
        self.context_frames = config.context
        self.horizon = frames - config.context  # frames predicted at once
        s, t = config.spatial, config.temporal
        self.encoder_first = conv_block(channels, s)
        self.encoder = nn.Sequential(conv_block(s, s, 2), conv_block(s, s), conv_block(s, s, 2))
        self.translator = nn.Sequential(nn.Conv2d(config.context * s, t, 1),
                                        *(TranslatorBlock(t, config.groups) for _ in range(config.blocks)),
                                        nn.Conv2d(t, self.horizon * s, 1))
        self.decoder = nn.Sequential(conv_block(s, s, up=True), conv_block(s, s),
                                     nn.ConvTranspose2d(s, s, 4, 2, 1))  # (.., S, H, W), before the skip
        self.readout = nn.Sequential(nn.GroupNorm(1, s), nn.SiLU(), nn.Conv2d(s, channels, 1))

    def predict_next(self, seen: torch.Tensor) -> torch.Tensor:
        """The next `horizon` frames (B, horizon, C, H, W) after `context` seen frames (B, context, C, H, W),
        both on the [-1, 1] scale."""
        b, t, c, h, w = seen.shape
        first = self.encoder_first(seen.reshape(b * t, c, h, w))  # (B*T, S, H, W)
        maps = self.encoder(first)  # (B*T, S, H/4, W/4)
        s, hq, wq = maps.shape[1:]
        future = self.translator(maps.reshape(b, t * s, hq, wq))  # (B, horizon*S, H/4, W/4)
        future = self.decoder(future.reshape(b * self.horizon, s, hq, wq)).reshape(b, self.horizon, s, h, w)
        future = future + first.reshape(b, t, s, h, w)[:, -1:]  # the last seen frame's features as a skip
        return self.readout(future.reshape(b * self.horizon, s, h, w)).reshape(b, self.horizon, c, h, w)

    def loss(self, batch: dict) -> dict:
        clips = to_unit_range(batch["x"], self.spec.levels)  # (B, T, C, H, W)
        c = self.config.context
        mse = F.mse_loss(self.predict_next(clips[:, :c]), clips[:, c:])
        return {"loss": mse, "mse": mse.detach()}

    def forecast(self, context: torch.Tensor, frames: int | None = None) -> torch.Tensor:
        """The `frames` frames (default: the trained horizon) after the last `context` frames of each clip;
        beyond the horizon, predictions are fed back in as seen frames."""
        c = self.context_frames
        frames = self.horizon if frames is None else frames
        seen = to_unit_range(last_seen(self.name, c, context), self.spec.levels)  # (B, context, C, H, W)
        predicted: list[torch.Tensor] = []
        while sum(p.shape[1] for p in predicted) < frames:
            step = self.predict_next(seen)  # (B, horizon, C, H, W)
            predicted.append(step)
            seen = torch.cat([seen, step], dim=1)[:, -c:]
        return from_unit_range(torch.cat(predicted, dim=1)[:, :frames], self.spec.levels)
