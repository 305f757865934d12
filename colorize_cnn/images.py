"""Reading any common image as gray and writing colour results, through Pillow (and pypng for
16-bit colour PNG, which Pillow cannot write)."""

import dataclasses
import warnings
from pathlib import Path

import numpy as np

from colorize_cnn.errors import UserError
from colorize_cnn.files import OutputExistsError, atomic_output

INPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}
MAX_PIXELS = 150_000_000  # about 4 GB of working memory; larger images are refused up front
GRAY_TOLERANCE = 6  # largest channel difference (of 255) still taken for a gray picture
# zlib level 3: on a 12 MP photo 0.61-0.66 s and 5.6 MB, against 1.35-1.59 s and 4.8 MB at level 6
# (Pillow's default) and 12-14 s and 4.4 MB at 9 (benchmarks/colorize_sizes.py measures them)
PNG_COMPRESSION = 3
JPEG_QUALITY = 95


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How output files are compressed: PNG zlib level 0 (none, fastest) to 9 (smallest), JPEG
    quality 1 to 100. Lossless formats are unaffected by ``jpeg_quality`` and vice versa."""

    png_compression: int = PNG_COMPRESSION
    jpeg_quality: int = JPEG_QUALITY

    def __post_init__(self):
        from colorize_cnn.errors import BadArgumentError

        if not isinstance(self.png_compression, int) or not 0 <= self.png_compression <= 9:
            raise BadArgumentError(f"PNG compression must be a whole number from 0 to 9. "
                                   f"Received: png_compression={self.png_compression!r}")
        if not isinstance(self.jpeg_quality, int) or not 1 <= self.jpeg_quality <= 100:
            raise BadArgumentError(f"JPEG quality must be a whole number from 1 to 100. "
                                   f"Received: jpeg_quality={self.jpeg_quality!r}")


def is_image_file(path):
    """A file with an image suffix the package reads, and not hidden: a hidden one may be a write
    that a kill cut short (``files.atomic_output``), or not the user's to colorize."""
    path = Path(path)
    return path.suffix.lower() in INPUT_SUFFIXES and not path.name.startswith(".") and path.is_file()


class ImageError(UserError, ValueError):
    """An image that cannot be read or written; the message names the file and the fix."""


@dataclasses.dataclass(frozen=True)
class GrayImage:
    pixels: np.ndarray  # (H, W) uint8 or uint16
    was_colour: bool  # the file held colour, converted to gray on reading
    mode: str  # Pillow's mode of the file, e.g. "L", "I;16", "RGB"
    alpha: np.ndarray = None  # (H, W) transparency (uint8; uint16 from a 16-bit PNG), if the file had any
    frames: int = 1  # pages (TIFF) or frames (GIF, WebP, PNG animation) in the file; only the first is read

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


def read_gray(path):
    """Reads an image file as gray, EXIF orientation applied.

    8-bit files give uint8, 16-bit gray files uint16 ``(H, W)``; 32-bit files (Pillow modes "I" and
    "F") give uint16 when their values fit 0..65535 (integers) or 0..1 (floats), and are refused
    otherwise. Colour files (RGB, RGBA, palette, CMYK, ...) are converted with the package's one
    luminance formula. Transparency is returned as ``alpha``; only the first page or frame is read
    (``frames`` says how many there were).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path} does not exist.")
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # check_size sets the limit
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on damaged metadata: errors say enough
            with Image.open(path) as image:
                check_size(image.height, image.width, str(path))
                frames = getattr(image, "n_frames", 1)
                file_format = image.format
                ImageOps.exif_transpose(image, in_place=True)  # in place: a 150 MP copy is 150 MB or more
                mode = image.mode
                if file_format == "PNG" and _png_depth_and_type(path) == (16, 4):  # Pillow: RGBA, 8-bit
                    gray, alpha = _png_gray_alpha16(path)
                    return GrayImage(gray, False, "LA;16", None if alpha.min() == 65535 else alpha, frames)
                alpha = _alpha(image)
                if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                    return GrayImage(_wide_to_uint16(np.asarray(image), mode, path), False, mode, alpha, frames)
                if mode in ("L", "LA", "1"):
                    plane = image if mode == "L" else image.getchannel(0) if mode == "LA" else image.convert("L")
                    return GrayImage(np.asarray(plane), False, mode, alpha, frames)
                rgb = np.asarray(image.convert("RGB"))
    except ImageError:
        raise
    except UnidentifiedImageError:
        wide = _tiff_gray_alpha16(path) if path.suffix.lower() in (".tif", ".tiff") else None
        if wide is not None:
            return wide
        raise ImageError(f"{path} is not an image Pillow can read (supported: {', '.join(INPUT_SUFFIXES)}).") from None
    except Image.DecompressionBombError:  # Pillow's own, larger limit: quote only the package's
        raise ImageError(f"{path} is over the limit of {MAX_PIXELS / 1e6:.0f} megapixels. Downscale it first.") from None
    except PermissionError:
        raise ImageError(f"cannot read {path}: permission denied. Check the file's permissions.") from None
    except MemoryError:
        raise
    except Exception as error:  # a damaged file makes Pillow raise almost anything (TypeError, struct.error, ...)
        raise ImageError(f"{path} is truncated or corrupt ({type(error).__name__}: {error}).") from None
    from colorize_cnn.color import gray_from_rgb8

    # lossy formats (WebP, JPEG) store a gray picture with a little chroma noise: not "colour"
    spread = max(int((np.maximum(first, second) - np.minimum(first, second)).max())
                 for first, second in ((rgb[..., 0], rgb[..., 1]), (rgb[..., 1], rgb[..., 2])))
    if spread == 0:
        return GrayImage(np.ascontiguousarray(rgb[..., 0]), False, mode, alpha, frames)
    return GrayImage(gray_from_rgb8(rgb), spread > GRAY_TOLERANCE, mode, alpha, frames)


def _png_depth_and_type(path):
    """(bit depth, colour type) from a PNG's header."""
    with open(path, "rb") as stream:
        header = stream.read(26)
    return header[24], header[25]


def _png_gray_alpha16(path):
    """A 16-bit gray + alpha PNG as two uint16 ``(H, W)`` planes (pypng: Pillow reads it as 8-bit LA)."""
    import png

    width, height, rows, _ = png.Reader(filename=str(path)).asDirect()
    planes = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows]).reshape(height, width, 2)
    return np.ascontiguousarray(planes[..., 0]), np.ascontiguousarray(planes[..., 1])


def _tiff_gray_alpha16(path):
    """A 16-bit gray (+ alpha) TIFF that Pillow cannot open, read with tifffile; None if it is not one."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages[0]
            if page.dtype != np.uint16 or not (len(page.shape) == 2 or page.shape[2:] == (2,)):
                return None
            check_size(*page.shape[:2], str(path))
            pixels = page.asarray()
    except ImageError:
        raise
    except Exception:  # not a TIFF tifffile reads either: the caller's message stands
        return None
    if pixels.ndim == 2:
        return GrayImage(pixels, False, "I;16")
    if pixels.ndim == 3 and pixels.shape[-1] == 2:
        alpha = np.ascontiguousarray(pixels[..., 1])
        return GrayImage(np.ascontiguousarray(pixels[..., 0]), False, "LA;16", None if alpha.min() == 65535 else alpha)
    return None


def _alpha(image):
    """The image's transparency as uint8 ``(H, W)``, or None if it has none (or none that hides anything)."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        alpha = np.asarray(image.convert("RGBA").getchannel("A"))
        return None if alpha.min() == 255 else alpha
    return None


def _wide_to_uint16(pixels, mode, path):
    """16- and 32-bit gray (Pillow modes I;16*, I, F) as uint16, refused where the values do not fit."""
    if mode.startswith("I;16"):
        return pixels.astype(np.uint16)
    finite = np.isfinite(pixels).all()
    low, high = (float(pixels.min()), float(pixels.max())) if finite else (float("nan"), float("nan"))
    if mode == "I" and 0 <= low and high <= 65535:
        return pixels.astype(np.uint16)
    if mode == "F" and finite and 0.0 <= low and high <= 1.0:
        return np.rint(pixels * 65535.0).astype(np.uint16)
    expected = "0 to 65535" if mode == "I" else "0.0 to 1.0"
    kind = "32-bit integer" if mode == "I" else "32-bit float"
    raise ImageError(f"{path} is a {kind} image with values from {low:g} to {high:g}; the package reads "
                     f"{expected} from such files. Rescale it, or save it as 8- or 16-bit.")


def output_format(path):
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ImageError(f"cannot write {path}: the output must end in one of {', '.join(OUTPUT_FORMATS)}.")
    return OUTPUT_FORMATS[suffix]


def write_rgb(rgb, path, overwrite=False, encoding=Encoding(), alpha=None):
    """Writes a uint8 or uint16 ``(H, W, 3)`` image as PNG, JPEG or TIFF by the path's extension.

    16-bit images stay 16-bit in PNG and TIFF (JPEG is 8-bit). ``encoding``: compression settings.
    ``alpha``: uint8 or uint16 ``(H, W)`` transparency, kept in PNG and TIFF (scaled to the
    output's depth); a JPEG cannot hold it. The file appears whole or not at all, and never replaces an
    existing one unless ``overwrite`` (checked atomically: two writers of one name cannot both win).
    Returns what could not be kept (``"alpha"``), if anything.
    """
    from PIL import Image

    file_format = output_format(path)
    rgb = np.asarray(rgb)
    path = Path(path)
    if path.exists() and not overwrite:
        raise ImageError(f"output {path} already exists; choose another name or remove it.")
    dropped = ()
    if alpha is not None:
        if file_format == "JPEG":
            dropped = ("alpha",)
        else:
            if rgb.dtype == np.uint16 and alpha.dtype == np.uint8:
                alpha = alpha.astype(np.uint16) * 257
            elif rgb.dtype == np.uint8 and alpha.dtype == np.uint16:
                alpha = (alpha // 257).astype(np.uint8)
            rgb = np.concatenate([rgb, alpha[..., None].astype(rgb.dtype)], axis=-1)
    channels = "RGBA" if rgb.shape[-1] == 4 else "RGB"
    try:
        with atomic_output(path, replace=overwrite) as temporary:
            if rgb.dtype == np.uint16 and file_format == "PNG":
                import png

                writer = png.Writer(rgb.shape[1], rgb.shape[0], greyscale=False, alpha=channels == "RGBA",
                                    bitdepth=16, compression=encoding.png_compression)
                with open(temporary, "wb") as stream:
                    writer.write(stream, rgb.reshape(rgb.shape[0], -1))
            elif rgb.dtype == np.uint16 and file_format == "TIFF":
                import tifffile

                tifffile.imwrite(temporary, rgb, photometric="rgb", extrasamples=("unassalpha",) * (channels == "RGBA"))
            else:
                if rgb.dtype == np.uint16:
                    rgb = (rgb // 257).astype(np.uint8)
                options = {"PNG": {"compress_level": encoding.png_compression},
                           "JPEG": {"quality": encoding.jpeg_quality}}.get(file_format, {})
                Image.fromarray(rgb, mode=channels).save(temporary, format=file_format, **options)
    except OutputExistsError:
        raise ImageError(f"output {path} already exists (written meanwhile by another process); choose another "
                         "name or remove it.") from None
    except OSError as error:
        if _disk_full(error, path.parent, rgb.nbytes):
            raise ImageError(f"cannot write {path}: no space left on the device. Free some space and run "
                             "again.") from None
        raise ImageError(f"cannot write {path} ({error}).") from None
    return dropped


def _disk_full(error, folder, size):
    """Whether a failed write ran out of disk: ENOSPC, or an error without a number (NumPy's
    "N requested and M written", from tifffile) while the folder's disk has less room than ``size``."""
    import errno
    import shutil

    if error.errno == errno.ENOSPC:
        return True
    try:
        return error.errno is None and shutil.disk_usage(folder).free < size
    except OSError:
        return False
