"""Reading any common image as gray and writing colour results, through Pillow (and pypng for
16-bit colour PNG, which Pillow cannot write)."""

import dataclasses
import warnings
from pathlib import Path

import numpy as np

from colorize_cnn.errors import UserError
from colorize_cnn.files import atomic_output

INPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}
MAX_PIXELS = 150_000_000  # about 4 GB of working memory; larger images are refused up front
_CHUNK_PIXELS = 2_000_000
GRAY_TOLERANCE = 6  # largest channel difference (of 255) still taken for a gray picture


class ImageError(UserError, ValueError):
    """An image that cannot be read or written; the message names the file and the fix."""


@dataclasses.dataclass(frozen=True)
class GrayImage:
    pixels: np.ndarray  # (H, W) uint8 or uint16
    was_colour: bool  # the file held colour, converted to gray on reading
    mode: str  # Pillow's mode of the file, e.g. "L", "I;16", "RGB"

    @property
    def bit_depth(self):
        return 16 if self.pixels.dtype == np.uint16 else 8


def check_size(height, width, where="image"):
    if height <= 0 or width <= 0:
        raise ImageError(f"{where} has zero size ({width}x{height}).")
    if height * width > MAX_PIXELS:
        raise ImageError(
            f"{where} is {width}x{height} = {height * width / 1e6:.0f} megapixels; the limit is "
            f"{MAX_PIXELS / 1e6:.0f} megapixels (about 30 bytes of memory a pixel). Downscale it first."
        )


def _colour_to_gray(rgb_uint8):
    from colorize_cnn.color import rgb_to_gray

    rows = max(1, _CHUNK_PIXELS // rgb_uint8.shape[1])
    gray = np.empty(rgb_uint8.shape[:2], dtype=np.uint8)
    for start in range(0, len(gray), rows):
        chunk = rgb_to_gray(rgb_uint8[start:start + rows].astype(np.float32) / 255.0)[..., 0]
        gray[start:start + rows] = np.rint(chunk * 255.0)
    return gray


def read_gray(path):
    """Reads an image file as gray, EXIF orientation applied.

    8-bit files give uint8, 16-bit gray files uint16 ``(H, W)``. Colour files (RGB, RGBA, palette,
    CMYK, ...) are converted with the package's one luminance formula; alpha is ignored.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path} does not exist.")
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file.")
    try:
        with warnings.catch_warnings(), Image.open(path) as image:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # check_size sets the limit
            check_size(image.height, image.width, str(path))
            image = ImageOps.exif_transpose(image)
            mode = image.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):
                pixels = np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
                return GrayImage(pixels, False, mode)
            if mode in ("L", "LA", "1"):
                return GrayImage(np.asarray(image.getchannel(0).convert("L")), False, mode)
            rgb = np.asarray(image.convert("RGB"))
    except UnidentifiedImageError:
        raise ImageError(f"{path} is not an image Pillow can read (supported: {', '.join(INPUT_SUFFIXES)}).") from None
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"{path} is over the limit of {MAX_PIXELS / 1e6:.0f} megapixels ({error}). Downscale it first."
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{path} is truncated or corrupt ({error}).") from None
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return GrayImage(np.ascontiguousarray(rgb[..., 0]), False, mode)
    # lossy formats (WebP, JPEG) store a gray picture with a little chroma noise: not "colour"
    spread = int(max(np.abs(np.diff(rgb[..., channels].astype(np.int16), axis=-1)).max() for channels in ([0, 1], [1, 2])))
    return GrayImage(_colour_to_gray(rgb), spread > GRAY_TOLERANCE, mode)


def output_format(path):
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ImageError(f"cannot write {path}: the output must end in one of {', '.join(OUTPUT_FORMATS)}.")
    return OUTPUT_FORMATS[suffix]


def write_rgb(rgb, path, overwrite=False):
    """Writes a uint8 or uint16 ``(H, W, 3)`` image as PNG, JPEG or TIFF by the path's extension.

    16-bit images stay 16-bit in PNG and TIFF (JPEG is 8-bit). The file appears whole or not at all.
    """
    from PIL import Image

    file_format = output_format(path)
    rgb = np.asarray(rgb)
    path = Path(path)
    if path.exists() and not overwrite:
        raise ImageError(f"output {path} already exists; choose another name or remove it.")
    try:
        with atomic_output(path) as temporary:
            if rgb.dtype == np.uint16 and file_format == "PNG":
                import png

                png.from_array(rgb.reshape(rgb.shape[0], -1), "RGB;16").save(str(temporary))
            elif rgb.dtype == np.uint16 and file_format == "TIFF":
                import tifffile

                tifffile.imwrite(temporary, rgb, photometric="rgb")
            else:
                if rgb.dtype == np.uint16:
                    rgb = (rgb // 257).astype(np.uint8)
                Image.fromarray(rgb, mode="RGB").save(temporary, format=file_format, **({"quality": 95} if file_format == "JPEG" else {}))
    except OSError as error:
        raise ImageError(f"cannot write {path} ({error}).") from None
