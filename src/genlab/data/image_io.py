"""The user's image files, read and written deliberately: the one place genlab turns a file of any Pillow mode
into pixels, and pixels into a file of the format a name asks for.

Every reader of a user's image uses `decode` (upscale, decompose, inpaint and its masks, compress, the studio's
uploads, image folders for training), so each mode is converted once, the same way everywhere:

    1, L, I;16 (any byte order)        grey, as stored (1-bit as 0/255; 16-bit stays 16-bit)
    LA, La, PA, RGBA, RGBa, P + tRNS   the colour and an alpha channel
    P                                  its palette's colours (grey when the palette is all grey)
    RGB;16 and RGBA;16 PNG and TIFF    16-bit colour, kept (Pillow itself holds colour at 8 bits only)
    CMYK, LAB, HSV, YCbCr, ...         RGB through Pillow, with a note where colours change (CMYK, LAB, ...)
    I (32-bit), F (float)              16-bit grey, with a note when the values had to be scaled

with the EXIF orientation applied, the first frame of an animation (with a note), a colour-key transparency
(tRNS) turned into alpha, and one `UserError` for an unreadable file ("not a readable image", with Pillow's
reason) or one with too many pixels (checked from the header, before any decoding). `encode` writes pixels as
PNG, TIFF, JPEG, WebP or BMP and says in a note what the format cannot hold (alpha in JPEG and BMP; 16 bits
outside PNG and TIFF) instead of failing. Pillow cannot hold 16-bit colour, so 16-bit colour PNGs are decoded by
Pillow's own PNG decoder twice (the high bytes, then the low bytes) and written by a small PNG writer here;
16-bit colour TIFFs go through tifffile.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from genlab.errors import UserError

GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
CONVERTED = {"1": "L", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB"}  # modes read as another without a loss
SIXTEEN_BIT_PNG = ("RGB;16B", "RGBA;16B", "LA;16B")  # PNG rawmodes Pillow decodes to 8 bits
FORMATS = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP",
           ".bmp": "BMP"}
NO_ALPHA = frozenset({"JPEG", "BMP"})  # formats that keep no transparency (Pillow reads none back from BMP)
EIGHT_BIT = frozenset({"JPEG", "WEBP", "BMP"})  # formats that keep 8 bits a channel at most
QUALITY = 95  # JPEG and WebP quality: an upscaled or inpainted image is worth more than Pillow's default 75
TRANSPOSES = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
              5: lambda a: a.swapaxes(0, 1), 6: lambda a: a.swapaxes(0, 1)[:, ::-1],
              7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: a.swapaxes(0, 1)[::-1]}  # EXIF orientation


class UnreadableImage(UserError):
    """A file no decoder reads (not an image, truncated, damaged); `reason` says why in a few words, for callers
    that phrase the error their own way."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name} is not a readable image ({reason}): give a PNG, JPEG, WebP, BMP, TIFF or GIF file.")
        self.reason = reason


@dataclass(frozen=True)
class Decoded:
    """A user's image: colour (C, H, W) with C 1 (grey) or 3 (RGB), uint8 or uint16; alpha (1, H, W) of the same
    type, or None; notes: what was converted with a loss, each a short phrase without the file's name (callers
    name the files, `file_notes` groups them)."""

    colour: np.ndarray
    alpha: np.ndarray | None
    notes: tuple[str, ...] = ()


def _one_line(text: object) -> str:
    return " ".join(str(text).split()).rstrip(".")


@contextmanager
def opened(source: Path | bytes, name: str, max_pixels: int | None, formats: Collection[str] | None
            ) -> Iterator[Image.Image]:
    """The image `source` opened by Pillow (header only), refused in one line when it is unreadable or has more
    than `max_pixels` (or Pillow's own limit, whichever is lower) pixels; errors while decoding inside the block
    become the same one line."""
    limit = min(n for n in (max_pixels, Image.MAX_IMAGE_PIXELS, float("inf")) if n is not None)
    fix = "shrink it, or cut it into pieces"
    try:
        with warnings.catch_warnings():  # Pillow warns of a large image at open; the check below says it in one line
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source,
                               formats=None if formats is None else list(formats))
        with image:
            if image.width * image.height > limit:
                raise UserError(f"{name} has too many pixels ({image.width}x{image.height}, more than {limit:,}): "
                                f"{fix}.")
            yield image
    except UserError:
        raise
    except Image.DecompressionBombError:  # over twice Pillow's limit: refused by Pillow itself at open
        raise UserError(f"{name} has too many pixels (more than {limit:,}): {fix}.") from None
    except UnidentifiedImageError:
        raise UnreadableImage(name, "not an image format Pillow knows") from None
    except FileNotFoundError:
        raise UserError(f"{name} does not exist: give an image file.") from None
    except Exception as err:  # noqa: BLE001  (truncated or damaged pixel data surfaces only on decode, as anything)
        raise UnreadableImage(name, _one_line(err) or type(err).__name__) from None


def _grey_palette(image: Image.Image) -> bool:
    """Whether a palette image's palette holds greys only (then it is read as grey)."""
    palette = image.getpalette("RGB") if image.mode in ("P", "PA") else None
    if not palette:
        return False
    rgb = np.asarray(palette, np.uint8).reshape(-1, 3)
    return bool((rgb == rgb[:, :1]).all())


def natural_channels(image: Image.Image) -> int:
    """1 if the opened image decodes to grey, 3 if to colour, from its header alone."""
    return 1 if image.mode in GREY_MODES or _grey_palette(image) else 3


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation 1..8 (1: as stored; 5..8 swap height and width)."""
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001  (a damaged EXIF block: the pixels as stored)
        return 1


def probe(source: Path | bytes, name: str | None = None, *, max_pixels: int | None = None
          ) -> tuple[int, tuple[int, int]]:
    """(channels decode will give, (H, W) decode will give) from the header, without decoding the pixels."""
    with opened(source, name or str(source), max_pixels, None) as image:
        size = (image.width, image.height) if _orientation(image) in (5, 6, 7, 8) else (image.height, image.width)
        return natural_channels(image), size


def _rawmode(image: Image.Image) -> str:
    """The raw mode of the image's one tile ('' if there are several or none): how the file stores pixels."""
    if len(image.tile) != 1:
        return ""
    args = image.tile[0][3]  # (codec, extents, offset, args): a plain tuple before Pillow 11
    return args if isinstance(args, str) else str(args[0]) if isinstance(args, tuple) and args else ""


def _decoded_as(source: Path | bytes, rawmode: str) -> np.ndarray:
    """The PNG `source` decoded again by Pillow's PNG decoder, its rows unpacked as `rawmode` instead."""
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source, formats=["PNG"]) as image:
        codec, extents, offset, _ = image.tile[0]
        image.tile = [(codec, extents, offset, rawmode)]
        image.load()
        return np.asarray(image).astype(np.uint16)


def _sixteen_bit_colour(image: Image.Image, source: Path | bytes) -> np.ndarray | None:
    """(H, W, C) uint16 of a PNG or TIFF stored at 16 bits with colour or alpha, which Pillow alone would cut to 8
    bits; None for any other image (or a 16-bit TIFF tifffile reads otherwise than expected)."""
    rawmode = _rawmode(image)
    if image.format == "PNG" and rawmode in SIXTEEN_BIT_PNG and image.tile[0][0] == "zip":
        if rawmode == "LA;16B":  # 4 bytes a pixel, unpacked as RGBA bytes: grey high, low, alpha high, low
            b = _decoded_as(source, "RGBA")
            return np.stack([b[..., 0] << 8 | b[..., 1], b[..., 2] << 8 | b[..., 3]], axis=-1)
        high = _decoded_as(source, rawmode)  # Pillow keeps each sample's high byte ...
        return high << 8 | _decoded_as(source, rawmode.replace("16B", "16L"))  # ... and, unpacked swapped, the low
    if image.format == "TIFF" and ";16" in rawmode and image.mode in ("RGB", "RGBA", "LA"):
        import tifffile

        pixels = tifffile.imread(io.BytesIO(source) if isinstance(source, bytes) else source, key=0)
        channels = {"RGB": 3, "RGBA": 4, "LA": 2}[image.mode]
        if pixels.dtype == np.uint16 and pixels.shape == (image.height, image.width, channels):
            return pixels
    return None


def _floats_as_16_bits(pixels: np.ndarray, kind: str) -> tuple[np.ndarray, list[str]]:
    """32-bit integer or float grey (H, W) as 16-bit: kept if already 0..65535 integers, floats on [0, 1]
    scaled by 65535, anything else stretched from its own range (said in a note)."""
    if not np.isfinite(pixels).all():
        raise UserError("holds NaN or infinite pixels")  # caught by decode and given the file's name
    lo, hi = float(pixels.min()), float(pixels.max())
    if kind == "I" and lo >= 0 and hi <= 65535:
        return pixels.astype(np.uint16), []
    if kind == "F" and lo >= 0 and hi <= 1:
        return np.round(pixels * 65535.0).astype(np.uint16), ["floating-point pixels on 0..1 were quantised to 16 bits"]
    scaled = (pixels.astype(np.float64) - lo) * (65535.0 / (hi - lo) if hi > lo else 0.0)
    what = "32-bit integer" if kind == "I" else "floating-point"
    return np.round(scaled).astype(np.uint16), [f"{what} pixels {lo:g}..{hi:g} were stretched to 16 bits"]


def _pixels(image: Image.Image, source: Path | bytes) -> tuple[np.ndarray, list[str]]:
    """The opened image's pixels (H, W, C) uint8/uint16, C = 1 grey, 2 grey + alpha, 3 RGB or 4 RGBA, and notes."""
    deep = _sixteen_bit_colour(image, source)
    if deep is not None:
        return _keyed(deep, image.info), []
    notes = []
    if ";16" in _rawmode(image) and image.mode not in GREY_MODES:
        notes.append("16-bit colour was read at 8 bits (genlab keeps 16-bit colour from PNG and TIFF)")
    mode = image.mode
    if mode in CONVERTED:  # the same pixels in a plain mode (1-bit as 0/255, alpha not premultiplied)
        image, mode = image.convert(CONVERTED[mode]), CONVERTED[mode]
    if mode in ("P", "PA"):
        rgb = np.asarray(image.convert("RGBA" if mode == "PA" or "transparency" in image.info else "RGB"))
        return (rgb[..., [0, 3]] if rgb.shape[2] == 4 else rgb[..., :1]) if _grey_palette(image) else rgb, notes
    if mode.startswith("I;16"):
        return _keyed(np.asarray(image).astype(np.uint16)[..., None], image.info), notes  # any byte order to native
    if mode in ("I", "F"):
        pixels, scaled = _floats_as_16_bits(np.asarray(image), mode)
        return pixels[..., None], notes + scaled
    if mode == "CMYK":
        image, mode = image.convert("RGB"), "RGB"
        notes.append("CMYK was converted to RGB by formula, without a colour profile: colours are approximate")
    elif mode not in ("L", "LA", "RGB", "RGBA"):  # LAB, HSV, YCbCr, ...
        try:
            image = image.convert("RGB")
        except ValueError:
            raise UserError(f"holds {mode} pixels, which Pillow cannot convert to RGB") from None
        notes.append(f"{mode} was converted to RGB: colours may differ slightly")
        mode = "RGB"
    pixels = np.asarray(image)
    pixels = pixels[..., None] if pixels.ndim == 2 else pixels
    return (_keyed(pixels, image.info) if mode in ("L", "RGB") else pixels), notes


def _keyed(pixels: np.ndarray, info: dict) -> np.ndarray:
    """Pixels (H, W, C) with an alpha channel appended, transparent where they equal the file's colour key (PNG's
    tRNS), if it has one of their channel count (grey or RGB); else as they are."""
    key = info.get("transparency")
    key = (key,) if isinstance(key, int) else key
    if not isinstance(key, tuple) or len(key) != pixels.shape[2]:
        return pixels
    opaque = np.iinfo(pixels.dtype).max
    alpha = np.where((pixels == np.asarray(key)).all(axis=2), 0, opaque).astype(pixels.dtype)
    return np.concatenate([pixels, alpha[..., None]], axis=2)


def decode(source: Path | str | bytes, name: str | None = None, *, max_pixels: int | None = None,
           formats: Collection[str] | None = None) -> Decoded:
    """The image file `source` (a path, or its bytes) as grey or RGB colour, alpha and notes (see the module's
    table). `name` names it in errors (default: the path); `max_pixels` refuses a larger image before decoding;
    `formats` limits the decoders tried (Pillow's format names). Any failure is one UserError naming it."""
    source = Path(source) if isinstance(source, str) else source
    name = name or str(source)
    with opened(source, name, max_pixels, formats) as image:
        try:
            pixels, notes = _pixels(image, source)  # first: it reads how the file stores pixels (image.tile)
        except UserError as err:  # a reason without the file's name
            raise UserError(f"{name} {err}: save it as an 8- or 16-bit grey, RGB or RGBA image.") from None
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            notes.append(f"only the first of its {frames} frames was read")
        orientation = _orientation(image)
    pixels = np.ascontiguousarray(TRANSPOSES.get(orientation, lambda a: a)(pixels).transpose(2, 0, 1))
    colour, alpha = (pixels[:-1], pixels[-1:]) if len(pixels) in (2, 4) else (pixels, None)
    return Decoded(colour, alpha, tuple(notes))


def file_notes(found: Iterable[tuple[str, Sequence[str]]], shown: int = 3) -> list[str]:
    """Notes about files, each phrase once with the files it concerns: [(file name, phrases), ...] ->
    ["PHRASE: a.png, b.png, c.png and 7 more", ...] in the order first met."""
    names: dict[str, list[str]] = {}
    for file, phrases in found:
        for phrase in phrases:
            names.setdefault(phrase, []).append(file)
    out = []
    for phrase, files in names.items():
        more = f" and {len(files) - shown} more" if len(files) > shown else ""
        out.append(f"{phrase}: {', '.join(files[:shown])}{more}")
    return out


def to_8_bits(pixels: np.ndarray) -> np.ndarray:
    """uint16 pixels rounded to uint8 (v / 257, the inverse of 8-bit v * 257); uint8 as they are."""
    if pixels.dtype == np.uint8:
        return pixels
    return np.round(pixels.astype(np.float64) / 257.0).astype(np.uint8)


def grey_or_rgb_8_bits(decoded: Decoded, why: str) -> tuple[np.ndarray, list[str]]:
    """(colour (C, H, W) uint8, notes) for a reader that keeps 8-bit grey or RGB only (training folders, the
    studio's uploads): the decoded notes, and what this drops besides, alpha and 16 bits, with `why`."""
    notes = list(decoded.notes)
    if decoded.alpha is not None:
        notes.append(f"transparency was dropped ({why})")
    if decoded.colour.dtype != np.uint8:
        notes.append("16-bit pixels were rounded to 8 bits")
    return to_8_bits(decoded.colour), notes


def _png(pixels: np.ndarray) -> bytes:
    """(H, W, C) uint16 as a 16-bit PNG (grey, grey + alpha, RGB or RGBA), which Pillow cannot write."""
    h, w, c = pixels.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.zeros((h, 1 + w * c * 2), np.uint8)  # each row: filter 0 (none), then big-endian samples
    rows[:, 1:] = pixels.astype(">u2").reshape(h, -1).view(np.uint8)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def encode(colour: np.ndarray, alpha: np.ndarray | None, suffix: str) -> tuple[bytes, list[str]]:
    """Colour (C, H, W) uint8/uint16 and alpha (1, H, W) or None as a file in the format `suffix` names (.png,
    .tif/.tiff, .jpg/.jpeg, .webp, .bmp), and notes for what that format cannot hold: alpha is left out of JPEG
    and BMP, 16 bits are rounded to 8 in JPEG, WebP and BMP. Never refuses pixels: the caller checked the suffix."""
    kind = FORMATS[suffix.lower()]
    shown = {"WEBP": "WebP"}.get(kind, kind)
    notes = []
    if alpha is not None and kind in NO_ALPHA:
        alpha = None
        notes.append(f"{shown} keeps no transparency: the alpha channel was left out (write .png to keep it)")
    if colour.dtype == np.uint16 and kind in EIGHT_BIT:
        colour, alpha = to_8_bits(colour), None if alpha is None else to_8_bits(alpha)
        notes.append(f"{shown} keeps 8 bits a channel: 16-bit pixels were rounded to 8 (write .png or .tif to keep "
                     "them)")
    if alpha is not None and len(colour) == 1 and (kind == "WEBP" or colour.dtype == np.uint16 and kind == "TIFF"):
        colour = np.repeat(colour, 3, axis=0)  # grey + alpha as RGBA: WebP has no grey, 16-bit grey + alpha TIFF
        # is a file Pillow does not open
    pixels = np.ascontiguousarray((colour if alpha is None else np.concatenate([colour, alpha])).transpose(1, 2, 0))
    if pixels.dtype == np.uint16 and pixels.shape[2] > 1:  # 16-bit colour or alpha: not in Pillow
        if kind == "PNG":
            return _png(pixels), notes
        import tifffile

        buffer = io.BytesIO()
        tifffile.imwrite(buffer, pixels, photometric="rgb",
                         extrasamples=("unassalpha",) if pixels.shape[2] == 4 else None)
        return buffer.getvalue(), notes
    options = {"quality": QUALITY} if kind in ("JPEG", "WEBP") else {}
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).save(buffer, format=kind, **options)
    return buffer.getvalue(), notes
