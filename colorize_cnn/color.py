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

import numpy as np
from skimage import color as skcolor

AB_RANGE = 110.0
AB_BIN_SIZE = 10.0
AB_BINS_PER_AXIS = int(2 * AB_RANGE / AB_BIN_SIZE)  # 22
NUM_AB_BINS = AB_BINS_PER_AXIS**2  # 484


def _as_float32(array):
    return np.asarray(array, dtype=np.float32)


def rgb_to_lab(rgb):
    """sRGB in [0, 1], ``(..., 3)`` -> CIELAB float32 ``(..., 3)`` (L in [0, 100])."""
    return skcolor.rgb2lab(_as_float32(rgb)).astype(np.float32)


def lab_to_rgb(lab):
    """CIELAB ``(..., 3)`` -> sRGB float32 in [0, 1] (out-of-gamut values clipped)."""
    rgb = skcolor.lab2rgb(_as_float32(lab))
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def rgb_to_gray(rgb):
    """sRGB ``(..., H, W, 3)`` -> gray ``(..., H, W, 1)`` with the same CIELAB L (see module doc)."""
    return lightness_to_gray(rgb_to_lab(rgb)[..., 0:1])


def _srgb_encode(linear):
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def lightness_to_gray(lightness):
    """CIELAB L in [0, 100] -> the sRGB gray value with that lightness, float32 in [0, 1]."""
    lightness = _as_float32(lightness)
    lab = np.concatenate([lightness, np.zeros_like(lightness), np.zeros_like(lightness)], axis=-1)
    luminance = skcolor.lab2xyz(lab)[..., 1:2]
    return _srgb_encode(luminance).astype(np.float32)


def gray_to_lightness(gray):
    """Gray in [0, 1] (any shape) -> CIELAB L in [0, 100], float32, same shape.

    A gray pixel has R = G = B, so its L depends on the value alone; for large images the
    conversion is done through a lookup table over 65,536 levels (exact for 8- and 16-bit input).
    """
    gray = _as_float32(gray)
    levels = np.linspace(0.0, 1.0, 65536, dtype=np.float32)
    table = skcolor.rgb2lab(np.repeat(levels[:, None], 3, axis=1))[:, 0].astype(np.float32)
    indices = np.rint(np.clip(gray, 0.0, 1.0) * 65535).astype(np.int32)
    return table[indices]


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


def recombine(lightness, ab, chunk_rows=None):
    """Join full-resolution lightness with chroma of any size into sRGB of the lightness's size.

    Args:
        lightness: float32 ``(H, W)`` CIELAB L in [0, 100].
        ab: float32 ``(h, w, 2)`` predicted chroma in CIELAB units, any h x w; it is resized
            (bilinear) to H x W.
        chunk_rows: rows converted to RGB at a time, to bound the temporary memory on large
            images; default: about one megapixel per chunk.
    Returns:
        float32 ``(H, W, 3)`` sRGB in [0, 1].
    """
    from skimage.transform import resize

    lightness = _as_float32(lightness)
    height, width = lightness.shape
    ab = _as_float32(ab)
    if ab.shape[:2] != (height, width):
        ab = resize(ab, (height, width, 2), order=1, mode="edge", anti_aliasing=False).astype(np.float32)
    rgb = np.empty((height, width, 3), dtype=np.float32)
    chunk_rows = chunk_rows or max(1, 1_000_000 // max(width, 1))
    for start in range(0, height, chunk_rows):
        rows = slice(start, start + chunk_rows)
        lab = np.concatenate([lightness[rows, :, None], ab[rows]], axis=-1)
        rgb[rows] = lab_to_rgb(lab)
    return rgb
