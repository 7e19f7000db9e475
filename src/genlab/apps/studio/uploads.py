"""Images the browser uploads to the studio, checked before they are kept: at most MAX_BYTES read (a larger
upload is refused part way, without reading the rest), decoded by genlab's one image reader (`genlab.data.
image_io.decode`: every Pillow mode converted deliberately) as one of the image types genlab's data loader reads,
at most MAX_PIXELS (checked from the header: a bomb is never decoded), and kept only as an 8-bit grey or RGB PNG
of the decoded pixels in the session's scratch folder under a name the server makes (never the browser's file
name), with notes on what was lost (transparency, 16 bits, a CMYK profile, ...)."""

from __future__ import annotations

import secrets
from pathlib import Path

from genlab.data.image_io import decode, encode, grey_or_rgb_8_bits
from genlab.errors import UserError

MAX_BYTES = 20 * 1024 * 1024  # the default upload limit, 20 MB
MAX_PIXELS = 16_000_000
FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"}  # what the image loader reads (apps/images.py)
ID_CHARACTERS = set("0123456789abcdef")


def keep_upload(data: bytes, folder: Path) -> dict:
    """Check an uploaded image's bytes and keep its pixels as FOLDER/ID.png; its id, size, channels and notes."""
    if len(data) > MAX_BYTES:
        raise UserError(f"The upload is larger than {MAX_BYTES // 2**20} MB: send a smaller image.")
    decoded = decode(data, "The upload", max_pixels=MAX_PIXELS, formats=FORMATS)
    colour, notes = grey_or_rgb_8_bits(decoded, "the studio's apps read grey or RGB")
    upload = secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{upload}.png").write_bytes(encode(colour, None, ".png")[0])
    return {"upload": upload, "width": int(colour.shape[2]), "height": int(colour.shape[1]),
            "channels": len(colour), "notes": notes}


def upload_path(folder: Path, upload: str) -> Path:
    """The kept upload `upload` (an id keep_upload made), or a UserError for any other name."""
    if len(upload) != 16 or not set(upload) <= ID_CHARACTERS or not (folder / f"{upload}.png").is_file():
        raise UserError(f"No upload '{upload}' in this studio session: upload the image again.")
    return folder / f"{upload}.png"
