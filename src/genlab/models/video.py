"""A generative model of whole clips: SVG-LP, stochastic video generation with a learned prior (Denton &
Fergus 2018), which samples new clips and many different continuations of given frames.

Why this and not a video diffusion model: on a CPU a diffusion model pays its network once per denoising step
for every frame of every clip (hundreds of passes over 20 frames to draw one clip), in training too, where it
needs far more steps to learn; SVG-LP draws a clip in one pass per frame and learns in a few thousand steps.
What it gives up: its frames are blurrier than a diffusion model's, since each is decoded from a mean-square
fit.

Each frame is encoded (strided convolutions) to a vector h_t. A recurrent frame predictor turns h_{t-1} and a
latent z_t into the vector of frame t, which a decoder (with skip connections from frame t-1's encoder maps)
draws. z_t is what the past does not determine (where a digit bounces, how it wobbles): in training it comes
from a posterior network that sees frame t, and a learned prior network that sees only frames up to t-1 is
pulled towards it by a KL term (weight beta, as the paper's 1e-4); at sampling time z_t comes from the prior.
Loss: mean squared error of each frame on [-1, 1] plus beta times the KL, both summed over frames.

A whole clip starts from a blank frame: the first frame is predicted from it like every other, so the model
samples clips from nothing (genlab's addition; the paper always starts from given frames). Sizes are a
CPU's: the paper's encoder is DCGAN's (64 to 512 channels, 128-d h, 256-unit LSTMs); here 16 to 64
channels, 64-d h and 128-unit LSTMs by default.
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

SMALLEST_SIDE = 8  # the encoder halves a frame (once at least) until its sides are this or less


class VideoConfig(ModelConfig):
    context: int = Field(10, gt=0)  # frames seen before a forecast (genlab sample --context, evaluation)
    channels: int = Field(16, gt=0)  # the encoder's first width, doubled per halving up to 4x
    frame_dim: int = Field(64, gt=0)  # h_t and the predictor's output (the paper: 128)
    latent_dim: int = Field(16, gt=0)  # z_t (the paper: 10 on Moving MNIST)
    hidden: int = Field(128, gt=0)  # units of each LSTM (the paper: 256)
    predictor_layers: int = Field(2, gt=0)
    beta: float = Field(1e-4, ge=0)  # weight of the KL term


def _widths(base: int, halvings: int) -> list[int]:
    return [base * min(2**i, 4) for i in range(halvings)]


class Recurrent(nn.Module):
    """Linear in, stacked LSTM cells, linear out; `state` carries (h, c) per layer between frames."""

    def __init__(self, dim_in: int, hidden: int, dim_out: int, layers: int):
        super().__init__()
        self.embed = nn.Linear(dim_in, hidden)
        self.cells = nn.ModuleList(nn.LSTMCell(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, dim_out)

    def forward(self, x: torch.Tensor, state: list | None) -> tuple[torch.Tensor, list]:
        h = self.embed(x)  # (B, hidden)
        state = state or [None] * len(self.cells)
        new = []
        for cell, s in zip(self.cells, state):
            hc = cell(h, s)
            h = hc[0]
            new.append(hc)
        return self.out(h), new


class Video(GenerativeModel):
    """SVG-LP: encoder, posterior and prior LSTMs over z_t, predictor LSTM, decoder with skips."""

    name = "video"
    Config = VideoConfig
    modalities = ("video",)
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: VideoConfig):
        super().__init__(spec, config)
        _, channels, height, width = spec.shape
        check_context(self.name, spec, config.context)
        halvings = 1
        while max(height, width) >> halvings > SMALLEST_SIDE:
            halvings += 1
        if height % 2**halvings or width % 2**halvings:
            raise UserError(f"video halves frames {halvings} times, and {spec.name}'s are {height}x{width}: use frames "
                            f"whose sides divide by {2**halvings}.")
        self.context_frames = config.context
        widths = _widths(config.channels, halvings)
        self.small = (widths[-1], height >> halvings, width >> halvings)  # the smallest maps (C', h, w)
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1), nn.GroupNorm(1, c_out), nn.LeakyReLU(0.2))
            for c_in, c_out in zip([channels] + widths[:-1], widths))
        flat = widths[-1] * self.small[1] * self.small[2]
        self.to_frame = nn.Sequential(nn.Linear(flat, config.frame_dim), nn.Tanh())
        self.from_frame = nn.Sequential(nn.Linear(config.frame_dim, flat), nn.LeakyReLU(0.2))
        self.up = nn.ModuleList(  # each takes the maps above and the skip of the same size
            nn.Sequential(nn.ConvTranspose2d(2 * c_in, c_out, 4, 2, 1), nn.GroupNorm(1, c_out), nn.LeakyReLU(0.2))
            for c_in, c_out in zip(widths[::-1], widths[::-1][1:] + [config.channels]))
        self.readout = nn.Conv2d(config.channels, channels, 3, 1, 1)
        z, g, hid = config.latent_dim, config.frame_dim, config.hidden
        self.predictor = Recurrent(g + z, hid, g, config.predictor_layers)
        self.posterior = Recurrent(g, hid, 2 * z, 1)
        self.prior = Recurrent(g, hid, 2 * z, 1)

    # --- networks ---------------------------------------------------------------------------
    def encode_frames(self, frames: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Frames (B, C, H, W) on [-1, 1] -> (h (B, frame_dim), the maps after each halving, largest first)."""
        maps, h = [], frames
        for block in self.down:
            h = block(h)
            maps.append(h)
        return self.to_frame(h.flatten(1)), maps

    def decode_frame(self, g: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        """A frame (B, C, H, W) on the [-1, 1] scale from the predictor's vector g (B, frame_dim) and the
        previous frame's encoder maps."""
        h = self.from_frame(g).reshape(len(g), *self.small)
        for block, skip in zip(self.up, reversed(skips)):
            h = block(torch.cat([h, skip], dim=1))
        return self.readout(h)

    def _blank(self, n: int) -> torch.Tensor:
        """The frame before a clip's first: all -1 (black)."""
        _, c, height, width = self.spec.shape
        return torch.full((n, c, height, width), -1.0, device=self.device)

    @staticmethod
    def _gaussian(params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = params.chunk(2, dim=1)
        return mean, log_var.clamp(-10, 10)

    # --- protocol ---------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        clips = to_unit_range(batch["x"], self.spec.levels)  # (B, T, C, H, W)
        b, frames = clips.shape[:2]
        h_all, maps_all = self.encode_frames(torch.cat([clips, self._blank(b)[:, None]], dim=1).flatten(0, 1))
        h_all = h_all.unflatten(0, (b, frames + 1))  # (B, T+1, g): each frame's code, the blank frame's last
        maps_all = [m.unflatten(0, (b, frames + 1)) for m in maps_all]
        order = [frames, *range(frames - 1)]  # frame t-1 for each t: the blank before the first
        h_in, h_target = h_all[:, order], h_all[:, :frames]  # each frame encoded once, as input and as target
        maps = [m[:, order] for m in maps_all]
        states: dict[str, list | None] = {"predictor": None, "posterior": None, "prior": None}
        mse = kl = 0.0
        for t in range(frames):
            q, states["posterior"] = self.posterior(h_target[:, t], states["posterior"])
            p, states["prior"] = self.prior(h_in[:, t], states["prior"])
            (q_mean, q_log_var), (p_mean, p_log_var) = self._gaussian(q), self._gaussian(p)
            z = q_mean + (0.5 * q_log_var).exp() * torch.randn_like(q_mean)
            g, states["predictor"] = self.predictor(torch.cat([h_in[:, t], z], dim=1), states["predictor"])
            frame = self.decode_frame(g, [m[:, t] for m in maps])
            mse = mse + F.mse_loss(frame, clips[:, t])
            kl = kl + 0.5 * (p_log_var - q_log_var + (q_log_var.exp() + (q_mean - p_mean) ** 2) / p_log_var.exp()
                             - 1).sum(1).mean()
        loss = (mse + self.config.beta * kl) / frames
        return {"loss": loss, "mse": (mse / frames).detach(), "kl": (kl / frames).detach()}

    def _roll(self, given: torch.Tensor | None, n: int, frames: int, temperature: float = 1.0) -> torch.Tensor:
        """From a blank frame, through the `given` frames (B, G, C, H, W) on [-1, 1] (their z from the posterior,
        as in training), then `frames` new ones with z from the prior, each fed back as the next input."""
        states: dict[str, list | None] = {"predictor": None, "posterior": None, "prior": None}
        drawn = []
        seen = 0 if given is None else given.shape[1]
        encoded = self.encode_frames(self._blank(n))  # the frame before t: (h, maps)
        for t in range(seen + frames):
            h_prev, maps = encoded
            p, states["prior"] = self.prior(h_prev, states["prior"])
            if t < seen:
                encoded = self.encode_frames(given[:, t])  # the posterior's input, and the next step's previous frame
                q, states["posterior"] = self.posterior(encoded[0], states["posterior"])
                mean, log_var = self._gaussian(q)
            else:
                mean, log_var = self._gaussian(p)
            z = mean + temperature * (0.5 * log_var).exp() * torch.randn_like(mean)
            g, states["predictor"] = self.predictor(torch.cat([h_prev, z], dim=1), states["predictor"])
            frame = self.decode_frame(g, maps).clamp(-1, 1)
            if t >= seen:
                drawn.append(frame)
                encoded = self.encode_frames(frame)
        return torch.stack(drawn, dim=1)  # (B, frames, C, H, W)

    @torch.no_grad()
    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """n new clips (n, T, C, H, W) of levels, from a blank frame; temperature scales the prior's spread."""
        return from_unit_range(self._roll(None, n, self.spec.shape[0], temperature), self.spec.levels)

    @torch.no_grad()
    def forecast(self, context: torch.Tensor, frames: int | None = None) -> torch.Tensor:
        """One drawn continuation (B, frames, C, H, W) of levels of the last `context` frames of each clip (the
        random draw follows the torch seed: call again for another)."""
        given = to_unit_range(last_seen(self.name, self.context_frames, context), self.spec.levels)
        frames = self.spec.shape[0] - self.context_frames if frames is None else frames
        return from_unit_range(self._roll(given, len(context), frames), self.spec.levels)
