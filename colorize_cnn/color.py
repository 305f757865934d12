"""Colour math for every model: sRGB <-> gray <-> CIELAB, ab bins, and recombination.

Conventions used throughout the package:

* ``rgb``: float32 sRGB in [0, 1], shape ``(..., H, W, 3)``.
* ``gray``: float32 in [0, 1], shape ``(..., H, W, 1)``. It is the sRGB gray value whose CIE
  luminance Y equals the colour pixel's (Y from linear sRGB with Rec. 709 / D65 weights,
  ``Y = 0.2126 R + 0.7152 G + 0.0722 B``, then sRGB-encoded). So a gray image has exactly the
  CIELAB lightness L of the colour image it came from, and the "gray baseline" of
  ``EVALUATION.md`` (true L, a = b = 0) *is* the gray image.
* ``lightness``: CIELAB L in [0, 100]; ``ab``: CIELAB a and b in CIELAB units (about -110..110).

The bin grid of the classification models and of the rebalanced AuC metric is the 10x10 grid
of Zhang et al. 2016 over a, b in [-110, 110): 22 x 22 = 484 bins.
"""

import warnings

import numpy as np
from skimage import color as skcolor

AB_RANGE = 110.0
AB_BIN_SIZE = 10.0
AB_BINS_PER_AXIS = int(2 * AB_RANGE / AB_BIN_SIZE)  # 22
NUM_AB_BINS = AB_BINS_PER_AXIS**2  # 484
ZHANG_TEMPERATURE = 0.38  # Zhang et al. 2016's annealed-mean temperature for decoding ab bins


def _as_float32(array):
    return np.asarray(array, dtype=np.float32)


def rgb_to_lab(rgb):
    """sRGB in [0, 1], ``(..., 3)`` -> CIELAB float32 ``(..., 3)`` (L in [0, 100])."""
    return skcolor.rgb2lab(_as_float32(rgb)).astype(np.float32)


def lab_to_rgb(lab):
    """CIELAB ``(..., 3)`` -> sRGB float32 in [0, 1] (out-of-gamut values clipped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skimage warns for each out-of-gamut pixel it clips
        rgb = skcolor.lab2rgb(_as_float32(lab))
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def lab_to_rgb_keeping_lightness(lab, tolerance=0.25, steps=8):
    """Like ``lab_to_rgb``, but where clipping to the sRGB gamut would change L by more than
    ``tolerance``, the pixel's chroma is scaled down (halving, ``steps`` times at most) instead.
    So bright, saturated predictions keep the input's lightness at the cost of some colour."""
    lab = _as_float32(lab).copy()
    rgb = lab_to_rgb(lab)
    for _ in range(steps):
        off = np.abs(rgb_to_lab(rgb)[..., 0] - lab[..., 0]) > tolerance
        if not off.any():
            break
        lab[off, 1:] *= 0.5
        rgb[off] = lab_to_rgb(lab[off])
    return rgb


def rgb_to_gray(rgb):
    """sRGB ``(..., H, W, 3)`` -> gray ``(..., H, W, 1)`` with the same CIELAB L (see module doc).

    L depends on the luminance Y alone, so the gray value is Y sRGB-encoded.
    """
    luminance = skcolor.rgb2xyz(_as_float32(rgb))[..., 1:2]
    return _srgb_encode(luminance).astype(np.float32)


def _srgb_encode(linear):
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def gray_to_lightness(gray):
    """Gray (any shape) -> CIELAB L in [0, 100], float32, same shape.

    ``gray`` is float in [0, 1], uint8 or uint16. A gray pixel has R = G = B, so its L depends on
    the value alone: the conversion is a lookup table over 65,536 levels (exact for 8- and 16-bit
    input, and light on memory for large images).
    """
    gray = np.asarray(gray)
    levels = np.linspace(0.0, 1.0, 65536, dtype=np.float32)
    table = skcolor.rgb2lab(np.repeat(levels[:, None], 3, axis=1))[:, 0].astype(np.float32)
    if gray.dtype == np.uint8:
        return table[gray.astype(np.int32) * 257]
    if gray.dtype == np.uint16:
        return table[gray]
    # float32 at least: float16 cannot hold 65535 (it would overflow to inf)
    return table[np.rint(np.clip(gray.astype(np.float32, copy=False), 0.0, 1.0) * 65535).astype(np.int32)]


def gray_to_rgb(gray):
    """The gray baseline in RGB: the gray value copied into R, G and B."""
    gray = _as_float32(gray)
    return np.repeat(gray, 3, axis=-1)


def ab_to_bin(ab):
    """ab ``(..., 2)`` in CIELAB units -> int32 bin index ``(...)`` on the 22 x 22 grid."""
    cells = np.floor((_as_float32(ab) + AB_RANGE) / AB_BIN_SIZE).astype(np.int32)
    cells = np.clip(cells, 0, AB_BINS_PER_AXIS - 1)
    return cells[..., 0] * AB_BINS_PER_AXIS + cells[..., 1]


def ab_bin_centers():
    """float32 ``(NUM_AB_BINS, 2)``: the (a, b) centre of each bin, in the order of ``ab_to_bin``."""
    axis = -AB_RANGE + AB_BIN_SIZE * (np.arange(AB_BINS_PER_AXIS, dtype=np.float32) + 0.5)
    a_centers, b_centers = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([a_centers.ravel(), b_centers.ravel()], axis=-1).astype(np.float32)


def ab_bin_prior(ab):
    """Frequency of each ab bin over a set of images: float64 ``(NUM_AB_BINS,)`` summing to 1."""
    counts = np.bincount(ab_to_bin(ab).ravel(), minlength=NUM_AB_BINS).astype(np.float64)
    return counts / counts.sum()


def rebalancing_weights(prior, mix=0.5):
    """Zhang et al. 2016 class rebalancing: w ~ 1 / ((1 - mix) * p + mix / Q), E_p[w] = 1.

    Args:
        prior: ``(NUM_AB_BINS,)`` bin frequencies (``ab_bin_prior`` of the training set).
        mix: weight of the uniform distribution; 1 means no rebalancing, 0 means full 1/p.
    Returns:
        float32 ``(NUM_AB_BINS,)`` weights whose mean under ``prior`` is 1.
    """
    if not 0.0 <= mix <= 1.0:
        raise ValueError(f"mix must be in [0, 1]. Received: mix={mix}")
    prior = np.asarray(prior, dtype=np.float64)
    weights = 1.0 / ((1.0 - mix) * prior + mix / prior.size)
    weights /= np.sum(prior * weights)
    return weights.astype(np.float32)


def resize_plane(plane, height, width):
    """Resizes a float ``(h, w)`` plane to ``(height, width)``: box filter down, bilinear up (Pillow)."""
    from PIL import Image

    plane = _as_float32(plane)
    if plane.shape == (height, width):
        return plane
    shrinking = height * width < plane.size
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(plane, mode="F").resize((width, height), method), dtype=np.float32)


def recombine(lightness, ab, dtype=np.float32, chunk_rows=None):
    """Join full-resolution lightness with chroma of any size into sRGB of the lightness's size.

    Args:
        lightness: float32 ``(H, W)`` CIELAB L in [0, 100].
        ab: float32 ``(h, w, 2)`` predicted chroma in CIELAB units, any h x w; it is resized
            (bilinear) to H x W.
        dtype: float32 (values in [0, 1]), uint8 or uint16 (full range) for the result.
        chunk_rows: rows converted to RGB at a time, to bound the temporary memory on large
            images; default: about one megapixel per chunk.
    Returns:
        ``(H, W, 3)`` sRGB of ``dtype``.
    """
    lightness = _as_float32(lightness)
    height, width = lightness.shape
    a_plane, b_plane = (resize_plane(ab[..., channel], height, width) for channel in (0, 1))
    rgb = np.empty((height, width, 3), dtype=dtype)
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(np.dtype(dtype))
    chunk_rows = chunk_rows or max(1, 1_000_000 // max(width, 1))
    for start in range(0, height, chunk_rows):
        rows = slice(start, start + chunk_rows)
        lab = np.stack([lightness[rows], a_plane[rows], b_plane[rows]], axis=-1)
        chunk = lab_to_rgb_keeping_lightness(lab)
        rgb[rows] = chunk if scale is None else np.rint(chunk * scale)
    return rgb
