"""Images the browser uploads to the studio, checked before they are kept: at most MAX_BYTES read (a larger
upload is refused part way, without reading the rest), decoded by Pillow as one of the image types genlab's
data loader reads, at most MAX_PIXELS, and kept only as a PNG of the decoded pixels in the session's scratch
folder under a name the server makes (never the browser's file name)."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.errors import UserError

MAX_BYTES = 20 * 1024 * 1024  # the default upload limit, 20 MB
MAX_PIXELS = 16_000_000
FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"}  # what the image loader reads (apps/images.py)
ID_CHARACTERS = set("0123456789abcdef")


def keep_upload(data: bytes, folder: Path) -> dict:
    """Check an uploaded image's bytes and keep its pixels as FOLDER/ID.png; its id, size and channels."""
    if len(data) > MAX_BYTES:
        raise UserError(f"The upload is larger than {MAX_BYTES // 2**20} MB: send a smaller image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise UserError(f"The upload is {image.format}, not an image type genlab reads (PNG, JPEG, WebP, "
                                "BMP, TIFF, GIF).")
            if image.width * image.height > MAX_PIXELS:  # from the header: a bomb is never decoded
                raise UserError(f"The upload has {image.width}x{image.height} pixels, more than {MAX_PIXELS:,}.")
            pixels = np.asarray(image.convert("L" if image.mode in ("L", "I;16", "1") else "RGB"))
    except UserError:
        raise
    except Exception:  # noqa: BLE001  (Pillow's many errors, and its bomb check, mean one thing here)
        raise UserError("The upload is not a readable image: send a PNG, JPEG, WebP, BMP, TIFF or GIF.") from None
    upload = secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(folder / f"{upload}.png")
    return {"upload": upload, "width": int(pixels.shape[1]), "height": int(pixels.shape[0]),
            "channels": 1 if pixels.ndim == 2 else 3}


def upload_path(folder: Path, upload: str) -> Path:
    """The kept upload `upload` (an id keep_upload made), or a UserError for any other name."""
    if len(upload) != 16 or not set(upload) <= ID_CHARACTERS or not (folder / f"{upload}.png").is_file():
        raise UserError(f"No upload '{upload}' in this studio session: upload the image again.")
    return folder / f"{upload}.png"
