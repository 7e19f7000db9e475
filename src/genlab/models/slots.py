"""Slot Attention autoencoder (Locatello et al. 2020): scenes split into their objects without labels.

A CNN encodes the image into a grid of features with a position embedding; K slots, drawn from one learnt
Gaussian, compete for those features over a few rounds of attention (softmax over the slots, so each
feature goes mostly to one slot; a GRU and a residual MLP update each slot from what it won). Each slot is
then decoded on its own by a spatial-broadcast decoder into an RGB image and mask logits; a softmax over
the slots turns the logits into masks that share out every pixel, and the reconstruction is the masks'
mix of the slot images. The only loss is the reconstruction error, so objects emerge because one slot
per object is the cheapest way to rebuild a scene.

The defaults follow the paper's network for Multi-dSprites and Tetrominoes (its appendix): 5x5
convolutions of 32 channels (four in the encoder), a 64-dimensional slot, 3 iterations, a 128-unit MLP,
and a decoder at full resolution: the broadcast slot's projection, two 5x5 convolutions and a 3x3 output
one. Every size is an option.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from typing import Literal

from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import Decomposition, GenerativeModel, ModelConfig, to_unit_range
from genlab.models.slot_frames import Frames, InvariantSlotAttention, coordinates
from genlab.models.slots_attention import SlotAttention

DEFAULT_SLOTS = 7  # when the dataset's masks do not say how many objects a scene holds


class SlotsConfig(ModelConfig):
    BEFORE_IT_EXISTED = {"init": "gaussian", "implicit": False}  # runs saved before BO-QSA started as the paper
    # multi-dsprites: the paper's masks leave every slot on the background for thousands of steps, masks from
    # attention do not (benchmarks/results/scenes-probe-multi-dsprites-*.md, scenes.md)
    FOR_DATA = {"multi-dsprites": {"masks": "attention"}}
    slots: int | None = Field(None, gt=0)  # None: one per object the dataset's masks can hold, plus the background
    slot_dim: int = Field(64, gt=0)
    iterations: int = Field(3, gt=0)  # rounds of attention
    channels: int = Field(32, gt=0)  # width of the encoder's and decoder's convolutions
    kernel: int = Field(5, gt=0)  # their kernel size (odd)
    encoder_layers: int = Field(4, gt=0)
    decoder_layers: int = Field(2, gt=0)  # convolutions after the broadcast's projection, before the output one
    mlp_hidden: int = Field(128, gt=0)
    # "attention": each slot's mask logits are added to the log of the share of each pixel it won in the last
    # round of attention, so a mask starts as that share and the decoder refines it. The reconstruction's
    # gradient then reaches the grouping from the first step, where the paper's masks ("decoder": from the
    # decoder alone) leave a long plateau in which every slot paints the background.
    masks: Literal["decoder", "attention"] = "decoder"
    # masks "attention" only: the attention's weight in the mask logits falls linearly from 1 to 0 over this many
    # training steps; after them the masks are the decoder's alone (the paper's), so each slot must draw its own
    # object's shape. Without the fade slots may settle on colours (two pieces of one colour in one slot), since
    # the attention alone can place a colour anywhere. 0: the weight stays 1.
    attention_fade: int = Field(0, ge=0)
    # Where the slots start. "gaussian": each drawn from one learnt Gaussian (the paper), so slots are
    # interchangeable and any number can be drawn. "learnt": K learnt starting points, one per slot (BO-QSA, Jia
    # et al. 2023), so a slot can specialise (the background, say) and an image's split needs no noise; the
    # default with `implicit`, since the two together beat the paper's start at the same steps where measured
    # (benchmarks/results/scenes-probe-*.md), but a run then splits into its K slots only.
    init: Literal["gaussian", "learnt"] = "learnt"
    # Implicit differentiation (Chang et al. 2022): the rounds of attention before the last run without a
    # gradient and the last one starts from their result detached, so the gradient is that of a fixed point
    # and does not grow with the rounds; the starting slots get the last round's gradient straight through
    # (BO-QSA's bi-level estimate).
    implicit: bool = True
    # "image": every slot sees the image's positions as they are (the paper). "slot": Invariant Slot Attention
    # (Biza et al. 2023): each slot has a position and a scale, and its keys, values and decoder see positions
    # relative to them (models/slot_frames.py), so a slot is local and draws a shape the same wherever it is.
    frames: Literal["image", "slot"] = "image"
    start_scale: float = Field(0.25, gt=0)  # frames "slot": each slot's scale before the first round (on [-1, 1])


def position_grid(height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
    """(H, W, 4): each position's (y, x, 1 - y, 1 - x) on [0, 1], which the position embeddings project."""
    ys, xs = torch.meshgrid(torch.linspace(0, 1, height, device=device), torch.linspace(0, 1, width, device=device),
                            indexing="ij")
    return torch.stack([ys, xs, 1 - ys, 1 - xs], dim=-1)


def _convs(channels_in: int, channels: int, layers: int, kernel: int) -> list[nn.Module]:
    """`layers` same-size convolutions with ReLUs, channels_in -> channels -> ... -> channels."""
    out: list[nn.Module] = []
    for i in range(layers):
        out += [nn.Conv2d(channels_in if i == 0 else channels, channels, kernel, padding=kernel // 2), nn.ReLU(inplace=True)]
    return out


class Slots(GenerativeModel):
    """Encoder -> slot attention -> per-slot spatial-broadcast decoder -> masks' mix; loss: mean squared error
    on the [-1, 1] scale. Not a density model: it decomposes images (`decompose`), it does not sample them."""

    name = "slots"
    Config = SlotsConfig
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: SlotsConfig):
        super().__init__(spec, config)
        if config.kernel % 2 == 0:
            raise UserError(f"Model option 'kernel' for slots is {config.kernel}: use an odd size such as 3 or 5.")
        channels, height, width = spec.shape
        self.num_slots = config.slots or self._objects_in(spec)
        d = config.slot_dim
        self.register_buffer("grid", position_grid(height, width), persistent=False)  # (H, W, 4)
        self.encoder = nn.Sequential(*_convs(channels, config.channels, config.encoder_layers, config.kernel))
        framed = config.frames == "slot"
        if framed:  # positions reach the slots relative to their frames only
            self.register_buffer("coords", coordinates(height, width), persistent=False)  # (H, W, 2)
        else:
            self.encoder_position = nn.Linear(4, config.channels)
        self.to_inputs = nn.Sequential(nn.LayerNorm(config.channels), nn.Linear(config.channels, d), nn.ReLU(),
                                       nn.Linear(d, d))
        if config.init == "learnt":
            self.slot_queries = nn.Parameter(nn.init.xavier_uniform_(torch.empty(1, self.num_slots, d)))
        else:
            self.slot_mu = nn.Parameter(nn.init.xavier_uniform_(torch.empty(1, 1, d)))
            self.slot_log_sigma = nn.Parameter(nn.init.xavier_uniform_(torch.empty(1, 1, d)))
        self.attention = (InvariantSlotAttention if framed else SlotAttention)(d, config.iterations, config.mlp_hidden)
        self.decoder_slot = nn.Linear(d, config.channels)
        self.decoder_position = nn.Linear(2 if framed else 4, config.channels)
        self.decoder = nn.Sequential(*_convs(config.channels, config.channels, config.decoder_layers, config.kernel),
                                     nn.Conv2d(config.channels, channels + 1, 3, padding=1))
        if config.masks == "attention" and config.attention_fade:
            self.register_buffer("steps_trained", torch.zeros((), dtype=torch.long))  # saved: the fade resumes

    @property
    def attention_weight(self) -> float:
        """How much the last round's attention counts in the mask logits now: 0 for the paper's masks, 1 for
        masks "attention" without a fade, falling from 1 to 0 over attention_fade training steps with one."""
        if self.config.masks != "attention":
            return 0.0
        if not self.config.attention_fade:
            return 1.0
        return max(0.0, 1.0 - int(self.steps_trained) / self.config.attention_fade)

    @staticmethod
    def _objects_in(spec: DatasetSpec) -> int:
        """Slots for a dataset: its masks' labels (objects and the background), or DEFAULT_SLOTS without masks."""
        masks = next((e for e in spec.extras if e.name == "masks"), None)
        return masks.levels if masks is not None and masks.levels and masks.levels > 1 else DEFAULT_SLOTS

    # --- networks ---------------------------------------------------------------------------
    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's inputs to slot attention (B, H * W, D) for images x (B, C, H, W) of levels."""
        h = self.encoder(to_unit_range(x, self.spec.levels)).permute(0, 2, 3, 1)  # (B, H, W, channels)
        if self.config.frames == "image":
            h = h + self.encoder_position(self.grid)
        return self.to_inputs(h.flatten(1, 2))  # (B, H * W, D)

    def initial_slots(self, batch: int, slots: int | None = None) -> torch.Tensor:
        """(B, K, D) slots drawn from the learnt Gaussian with the global torch generator (callers seed it):
        K = `slots` or the model's own number. Training draws anew for every image; in eval mode one draw is
        shared by the batch, so an image's split depends on the seed alone, not on the images beside it. With
        init "learnt" the slots are the learnt starting points, the same for every image."""
        k = slots or self.num_slots
        if self.config.init == "learnt":
            if k != self.num_slots:
                raise UserError(f"This slots run learnt {self.num_slots} starting slots (model option init "
                                f"'learnt'), so it decomposes into {self.num_slots}, not {k}: drop the slot count.")
            return self.slot_queries.expand(batch, -1, -1)
        mu, sigma = self.slot_mu, self.slot_log_sigma.exp()  # (1, 1, D) each
        noise = torch.randn(batch if self.training else 1, k, mu.shape[-1], device=mu.device)
        return mu + sigma * noise.expand(batch, k, -1)

    def initial_frames(self, batch: int, slots: int) -> Frames:
        """Frames "slot": each slot's frame before the first round, its position uniform over the image (drawn
        with the global generator, per image in training and shared by the batch in eval mode, as the slots) and
        its scale start_scale."""
        positions = torch.rand(batch if self.training else 1, slots, 2, device=self.coords.device) * 2 - 1
        positions = positions.expand(batch, -1, -1)  # (B, K, 2)
        return Frames(positions, torch.full_like(positions, self.config.start_scale))

    def decode_slots(self, slots: torch.Tensor, attention: torch.Tensor | None = None, weight: float = 1.0,
                     frames: Frames | None = None) -> Decomposition:
        """Each slot (B, K, D) broadcast over the image, decoded on its own, and the masks' mix; with the last
        round's attention (B, K, H * W) `weight` times its log joins the mask logits (the option masks "attention");
        with frames (frames "slot") each slot is drawn on the image's positions relative to its frame.

        The broadcast is projected before the convolutions: slot and position each through a linear map to
        the decoder's width, summed, ReLU. That is what the paper's first convolution computes on a broadcast
        slot plus position embedding, up to the image border, at a fraction of its cost."""
        b, k, _ = slots.shape
        height, width = self.grid.shape[:2]
        where = self.grid if frames is None else frames.relative(self.coords).reshape(b * k, height, width, 2)
        broadcast = self.decoder_slot(slots).reshape(b * k, 1, 1, -1) + self.decoder_position(where)  # (B*K, H, W, C)
        out = self.decoder(broadcast.relu().permute(0, 3, 1, 2)).reshape(b, k, -1, height, width)  # (B, K, C+1, H, W)
        images, logits = out[:, :, :-1], out[:, :, -1]  # (B, K, C, H, W), (B, K, H, W)
        if attention is not None and weight > 0:
            logits = logits + weight * attention.log().reshape(b, k, height, width)
        masks = logits.softmax(dim=1)
        return Decomposition((masks.unsqueeze(2) * images).sum(1), images, masks)

    # --- protocol ---------------------------------------------------------------------------
    def decompose(self, x: torch.Tensor, slots: int | None = None) -> Decomposition:
        """x (B, C, H, W) of levels -> its slots' images and masks; `slots` other than the trained number
        works too (the slots share one learnt distribution), as in the paper's tests on more objects."""
        inputs, start = self.inputs(x), self.initial_slots(len(x), slots)  # (B, N, D), (B, K, D)
        if self.config.frames == "image":
            slots, attention = self.attention(inputs, start, implicit=self.config.implicit)  # (B, K, D), (B, K, N)
            return self.decode_slots(slots, attention, self.attention_weight)
        frames = self.initial_frames(len(x), start.shape[1])
        slots, attention, frames = self.attention(inputs, start, frames, self.coords.flatten(0, 1),
                                                  implicit=self.config.implicit)
        return self.decode_slots(slots, attention, self.attention_weight, frames)

    def loss(self, batch: dict) -> dict:
        if self.training and hasattr(self, "steps_trained"):
            self.steps_trained += 1
        x = batch["x"]
        mse = F.mse_loss(self.decompose(x).reconstruction, to_unit_range(x, self.spec.levels))
        return {"loss": mse, "mse": mse.detach()}
