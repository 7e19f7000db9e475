"""Several versions of one image side by side, each under its label, with the same zoomed crop below each:
the picture super-resolution is judged by (original, bicubic, SRResNet, SRGAN). numpy and Pillow only."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PANEL_WIDTH = 360  # pixels per panel in the picture
ZOOM_WINDOW = 64  # side of the zoomed region in the images' own pixels
LABEL_HEIGHT = 40


def busiest_window(image: np.ndarray, side: int) -> tuple[int, int]:
    """(top, left) of the side x side window with the most gradient energy in `image` (C, H, W): where detail is."""
    grey = image.astype(np.float64).mean(0)
    energy = np.abs(np.diff(grey, axis=0))[:, :-1] + np.abs(np.diff(grey, axis=1))[:-1]  # (H-1, W-1)
    total = np.pad(energy, ((1, 0), (1, 0))).cumsum(0).cumsum(1)  # integral image
    h, w = energy.shape
    side = min(side, h, w)
    sums = total[side:, side:] - total[:-side, side:] - total[side:, :-side] + total[:-side, :-side]
    top, left = np.unravel_index(np.argmax(sums), sums.shape)
    return int(top), int(left)


def _as_image(pixels: np.ndarray) -> Image.Image:
    image = pixels.transpose(1, 2, 0)
    return Image.fromarray(image[..., 0] if image.shape[2] == 1 else image[..., :3]).convert("RGB")


def labelled_panels(panels: list[tuple[str, np.ndarray]]) -> bytes:
    """PNG bytes: each (label, image (C, H, W) uint8) as a panel, images of one size, the label above, the image
    scaled to PANEL_WIDTH, and below it the busiest ZOOM_WINDOW of the first image, enlarged without smoothing."""
    first = panels[0][1]
    h, w = first.shape[1:]
    top, left = busiest_window(first, ZOOM_WINDOW)
    side = min(ZOOM_WINDOW, h, w)
    height = round(h * PANEL_WIDTH / w)
    canvas = Image.new("RGB", (PANEL_WIDTH * len(panels), LABEL_HEIGHT + height + PANEL_WIDTH), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=15)
    for i, (label, pixels) in enumerate(panels):
        image = _as_image(pixels)
        x0 = i * PANEL_WIDTH
        draw.multiline_text((x0 + 6, 3), label, fill="black", font=font, spacing=2)
        canvas.paste(image.resize((PANEL_WIDTH, height), Image.Resampling.LANCZOS), (x0, LABEL_HEIGHT))
        zoom = image.crop((left, top, left + side, top + side)).resize((PANEL_WIDTH, PANEL_WIDTH), Image.Resampling.NEAREST)
        canvas.paste(zoom, (x0, LABEL_HEIGHT + height))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
