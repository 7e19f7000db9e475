"""genlab's one image reader and writer (data/image_io.py) on a corpus of awkward files (conftest's
awkward_images: palette, CMYK, LA, 1-bit, 16-bit grey and colour, RGBA, animated), and every reader built on
it: image folders for training, the studio's uploads, `genlab compress`. The commands that read a user's image
(upscale, decompose, inpaint) are run on the same corpus in their own test files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from genlab.data.image_io import decode, encode, file_notes, probe
from genlab.errors import UserError


def test_every_awkward_mode_decodes_to_its_pixels_with_the_notes_it_owes(awkward_images):
    for name, want in awkward_images.items():
        got = decode(want.path)
        assert got.colour.dtype == want.colour.dtype and got.colour.shape == want.colour.shape, name
        assert np.abs(got.colour.astype(int) - want.colour).max() <= want.tolerance, name
        assert (got.alpha is None) == (want.alpha is None), name
        if want.alpha is not None:
            assert np.array_equal(got.alpha, want.alpha), name
        assert [n for n in got.notes if want.note and want.note in n] if want.note else not got.notes, (name, got.notes)
        assert probe(want.path) == (len(want.colour), (8, 8)), name  # the header alone says what decode gives


def test_a_cmyk_jpeg_is_neither_inverted_nor_transparent(awkward_images):
    """The defect: CMYK read as RGBA gave inverted colours and K as an all-zero alpha."""
    cmyk = awkward_images["cmyk.jpg"]
    got = decode(cmyk.path)
    assert got.alpha is None and np.abs(got.colour.astype(int) - cmyk.colour).mean() < 4


def test_unreadable_and_over_large_files_are_one_line_naming_the_limit(awkward_images, tmp_path, monkeypatch):
    good = awkward_images["rgba.png"].path.read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "text.png").write_text("not an image")
    for name in ("cut.png", "text.png"):
        with pytest.raises(UserError, match=f"{name} is not a readable image"):
            decode(tmp_path / name)
    with pytest.raises(UserError, match=r"too many pixels \(8x8, more than 60\)"):
        decode(good, "big.png", max_pixels=60)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)  # 64 pixels: over twice Pillow's limit, its bomb error
    for read in (decode, probe):
        with pytest.raises(UserError, match=r"big.png has too many pixels \(more than 20\)"):
            read(good, "big.png")



def test_clips_are_read_through_the_same_checks(awkward_images, tmp_path, monkeypatch):
    """A clip (a folder of them, or `sample --context`) too large or cut short is one line, not Pillow's error."""
    from types import SimpleNamespace

    from genlab.data.animations import is_animated, read_animation
    from genlab.sampling import read_clips

    clip = awkward_images["animated.gif"].path
    assert is_animated(clip) and read_animation(clip).shape[0] == 2
    good = clip.read_bytes()
    (tmp_path / "cut.gif").write_bytes(good[:20])
    spec = SimpleNamespace(shape=(2, 1, 8, 8), levels=256)
    with pytest.raises(UserError, match="cut.gif is not a readable GIF animation"):
        read_clips(tmp_path / "cut.gif", spec)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)  # Pillow's bomb error, once a traceback
    for read in (is_animated, read_animation):
        with pytest.raises(UserError, match="too many pixels"):
            read(clip)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_exif_orientation_is_applied_as_pillow_applies_it(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(np.arange(6 * 10 * 3, dtype=np.uint8).reshape(6, 10, 3)).save(buffer, "PNG", exif=exif)
    upright = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue())))).transpose(2, 0, 1)
    assert np.array_equal(decode(buffer.getvalue(), "x").colour, upright)
    assert probe(buffer.getvalue(), "x")[1] == upright.shape[1:]


def test_every_format_gets_what_it_can_hold_and_a_note_for_the_rest():
    rng = np.random.default_rng(0)
    for dtype in (np.uint8, np.uint16):
        for channels in (1, 3):
            colour = rng.integers(0, np.iinfo(dtype).max + 1, (channels, 6, 5)).astype(dtype)
            alpha = rng.integers(0, np.iinfo(dtype).max + 1, (1, 6, 5)).astype(dtype)
            for suffix in (".png", ".tif"):  # everything kept, 16-bit colour included
                back = decode(encode(colour, alpha, suffix)[0], "x")
                assert back.colour.dtype == dtype and np.array_equal(back.alpha, alpha), suffix
                assert np.array_equal(back.colour[: len(colour)], colour) and len(back.colour) in (channels, 3)
            for suffix in (".jpg", ".webp", ".bmp"):
                data, notes = encode(colour, alpha, suffix)
                back = decode(data, "x")
                assert back.colour.dtype == np.uint8 and (back.alpha is None) == (suffix != ".webp"), suffix
                assert any("no transparency" in n for n in notes) == (suffix != ".webp"), (suffix, notes)
                assert any("8 bits" in n for n in notes) == (dtype == np.uint16), (suffix, notes)


def test_file_notes_name_each_phrase_once_with_its_files():
    found = [(f"{i}.png", ["CMYK converted"] if i != 2 else []) for i in range(6)] + [("x.gif", ["first frame"])]
    assert file_notes(found) == ["CMYK converted: 0.png, 1.png, 3.png and 2 more", "first frame: x.gif"]


def test_a_folder_of_awkward_images_trains_as_8_bit_rgb_with_notes(awkward_images):
    from genlab.data import load_dataset

    folder = awkward_images["rgb16.png"].path.parent
    data = load_dataset(folder, channels=3)
    x = np.concatenate([data.train.x, data.val.x, data.test.x])
    assert x.shape == (len(awkward_images), 3, 8, 8) and x.dtype == np.uint8
    notes = " ".join(data.spec.notes)
    for phrase in ("CMYK", "transparency was dropped", "16-bit pixels were rounded", "first of its 2 frames"):
        assert phrase in notes, (phrase, notes)
    rgb16 = np.round(awkward_images["rgb16.png"].colour / 257)
    assert any(np.array_equal(image, rgb16) for image in x)  # 16-bit colour rounded, not cut to its high bytes


def test_studio_uploads_of_every_mode_are_kept_as_8_bit_and_a_bomb_says_too_many_pixels(awkward_images, tmp_path,
                                                                                        monkeypatch):
    from genlab.apps.studio import uploads

    for name, want in awkward_images.items():
        kept = uploads.keep_upload(want.path.read_bytes(), tmp_path / "kept")
        pixels = np.asarray(Image.open(tmp_path / "kept" / f"{kept['upload']}.png"))
        assert pixels.dtype == np.uint8 and kept["channels"] == len(want.colour) and pixels.shape[:2] == (8, 8), name
        assert ("transparency" in " ".join(kept["notes"])) == (want.alpha is not None), (name, kept["notes"])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)  # was "not a readable image"
    with pytest.raises(UserError, match="The upload has too many pixels"):
        uploads.keep_upload(awkward_images["rgba.png"].path.read_bytes(), tmp_path / "kept")
    monkeypatch.setattr(uploads, "MAX_PIXELS", 60)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(UserError, match=r"too many pixels \(8x8, more than 60\)"):
        uploads.keep_upload(awkward_images["rgba.png"].path.read_bytes(), tmp_path / "kept")
