"""The image reader on damaged files: every read decodes or raises the package's own error."""

import io
import struct
import time

import numpy as np
import pytest
from PIL import Image

from colorize_cnn.app.cli import main
from colorize_cnn.images import GrayImage, ImageError, read_gray

FUZZ_CASES = 2400
FUZZ_BOUND_SECONDS = 120  # a hang, not speed: the whole run takes a few seconds on 2 cores


def _seed_files():
    """Small valid files of every format the package reads, in several modes."""
    y, x = np.mgrid[0:24, 0:20]
    rgb = np.stack([x * 12, y * 10, (x + y) * 5], axis=-1).astype(np.uint8)
    seeds = []
    for file_format, mode in (("PNG", "RGB"), ("PNG", "L"), ("PNG", "I;16"), ("PNG", "RGBA"), ("JPEG", "RGB"),
                              ("JPEG", "L"), ("TIFF", "RGB"), ("TIFF", "I;16"), ("TIFF", "L"), ("WEBP", "RGB"),
                              ("BMP", "RGB"), ("BMP", "P")):
        image = Image.fromarray(rgb)
        image = image.convert("L").convert("I;16") if mode == "I;16" else image.convert(mode)
        buffer = io.BytesIO()
        image.save(buffer, format=file_format)
        seeds.append((file_format, buffer.getvalue()))
    return seeds


def _mutated(data, rng):
    """Cut short, or a few bytes changed in the header (first 64 bytes) or anywhere."""
    data = bytearray(data)
    kind = rng.integers(3)
    if kind == 0:
        return bytes(data[: rng.integers(1, len(data))])
    for _ in range(rng.integers(1, 5)):
        position = rng.integers(0, min(len(data), 64) if kind == 1 else len(data))
        data[position] = rng.integers(256)
    return bytes(data)


def test_every_mutated_image_decodes_or_gives_the_package_s_error(tmp_path):
    rng = np.random.default_rng(2026)
    seeds = _seed_files()
    suffixes = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif", "WEBP": ".webp", "BMP": ".bmp"}
    outcomes = {"decoded": 0, "refused": 0}
    started = time.perf_counter()
    for case in range(FUZZ_CASES):
        file_format, data = seeds[case % len(seeds)]
        path = tmp_path / f"case{suffixes[file_format]}"
        path.write_bytes(_mutated(data, rng))
        try:
            image = read_gray(path)
        except ImageError as error:
            assert str(path) in str(error)
            outcomes["refused"] += 1
        else:
            assert isinstance(image, GrayImage) and image.pixels.ndim == 2
            outcomes["decoded"] += 1
    assert time.perf_counter() - started < FUZZ_BOUND_SECONDS
    assert min(outcomes.values()) > FUZZ_CASES // 10  # the mutations reach both outcomes


def _tiff_with_text_strip_offsets():
    """A TIFF whose StripOffsets tag says ASCII: Pillow raises TypeError on it."""
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    directory = struct.unpack("<I", data[4:8])[0]
    for index in range(struct.unpack("<H", data[directory:directory + 2])[0]):
        entry = directory + 2 + 12 * index
        if struct.unpack("<H", data[entry:entry + 2])[0] == 273:
            data[entry + 2:entry + 8] = struct.pack("<HI", 2, 1)
    return bytes(data)


def test_a_damaged_tiff_is_that_file_s_error_and_the_folder_goes_on(tmp_path, tiny_unet_file, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    y, x = np.mgrid[0:40, 0:60]
    for name in ("a.png", "c.png"):
        Image.fromarray(((x * 3 + y * 2) % 256).astype(np.uint8)).save(folder / name)
    (folder / "b.tif").write_bytes(_tiff_with_text_strip_offsets())
    assert main([str(folder), "-o", str(tmp_path / "out"), "--model", str(tiny_unet_file)]) == 1
    err = capsys.readouterr().err
    assert "b.tif is truncated or corrupt" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]


@pytest.mark.parametrize("width", [2**31 - 1])
def test_size_refusals_quote_only_the_package_s_limit(tmp_path, width):
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(buffer, format="BMP")
    data = bytearray(buffer.getvalue())
    data[18:22] = struct.pack("<i", width)  # BITMAPINFOHEADER width
    path = tmp_path / "huge.bmp"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageError, match="150 megapixels") as caught:
        read_gray(path)
    assert "178956970" not in str(caught.value) and "DOS" not in str(caught.value)
