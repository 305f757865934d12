"""Colour math for every model: sRGB <-> gray <-> CIELAB, ab bins, and recombination.

Conventions used throughout the package:

* ``rgb``: float32 sRGB in [0, 1], shape ``(..., H, W, 3)``.
* ``gray``: float32 in [0, 1], shape ``(..., H, W, 1)``. It is the sRGB gray value whose CIE
  luminance Y equals the colour pixel's (Y from linear sRGB with Rec. 709 / D65 weights,
  ``Y = 0.2126 R + 0.7152 G + 0.0722 B``, then sRGB-encoded). So a gray image has exactly the
  CIELAB lightness L of the colour image it came from, and the "gray baseline" of
  ``docs/evaluation.md`` (true L, a = b = 0) *is* the gray image.
* ``lightness``: CIELAB L in [0, 100]; ``ab``: CIELAB a and b in CIELAB units (about -110..110).

The bin grid of the classification models and of the rebalanced AuC metric is the 10x10 grid
of Zhang et al. 2016 over a, b in [-110, 110): 22 x 22 = 484 bins.
"""

import os

import numpy as np

AB_RANGE = 110.0
AB_BIN_SIZE = 10.0
AB_BINS_PER_AXIS = int(2 * AB_RANGE / AB_BIN_SIZE)  # 22
NUM_AB_BINS = AB_BINS_PER_AXIS**2  # 484
ZHANG_TEMPERATURE = 0.38  # Zhang et al. 2016's annealed-mean temperature for decoding ab bins

_CHUNK_PIXELS = 1 << 18  # pixels per band of rows: large enough that per-call costs vanish, small enough that memory stays flat
_RESIZE_BAND_PIXELS = 1 << 21  # source pixels per band of a large downscale (8 MB as float32)
_LAB_DELTA = np.float32(6 / 29)
# The constants scikit-image uses (tests check that the conversions agree with its own), written here
# so that colorizing needs neither scikit-image nor SciPy:
_XYZ_WHITE = np.float32([0.95047, 1.0, 1.08883])  # CIE D65, 2-degree observer
_XYZ_FROM_RGB = np.array([[0.412453, 0.357580, 0.180423],  # linear sRGB -> XYZ (IEC 61966-2-1)
                          [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB).astype(np.float32)


def _as_float32(array):
    return np.asarray(array, dtype=np.float32)


def rgb_to_lab(rgb):
    """sRGB in [0, 1], ``(..., 3)`` -> CIELAB float32 ``(..., 3)`` (L in [0, 100]; D65, 2-degree
    observer: what ``skimage.color.rgb2lab`` gives)."""
    f = _lab_f(_linear_rgb_to(_XYZ_FROM_RGB / _XYZ_WHITE[:, None], rgb))
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
                    axis=-1).astype(np.float32)


def _linear_rgb_to(matrix, rgb):
    """``matrix`` (rows: outputs) applied to the linear light of sRGB ``(..., 3)``."""
    return _srgb_decode(_as_float32(rgb)) @ matrix.T.astype(np.float32)


def _lab_f(t):
    """CIELAB's f(t) (CIE 15:2004): the cube root above (6/29)^3, linear below."""
    return np.where(t > _LAB_DELTA**3, np.cbrt(t), t / (3 * _LAB_DELTA**2) + np.float32(4 / 29))


def lab_to_rgb(lab, dtype=np.float32):
    """CIELAB ``(..., 3)`` -> sRGB of ``dtype`` (float32 in [0, 1], or full-range uint8/uint16).

    Keeps the lightness: a colour outside the sRGB gamut is moved towards the gray of the same
    luminance, in linear RGB, until it fits. Luminance is linear in linear RGB, so L is kept
    exactly (up to the output's rounding) and the hue's chromaticity is kept; only chroma is lost.
    Plain float32 NumPy on ``lab`` (one pass per operation); ``recombine`` runs it on bands of
    rows, so its temporaries stay small.
    """
    lab = _as_float32(lab)
    return _lab_planes_to_rgb(lab[..., 0], lab[..., 1], lab[..., 2], np.dtype(dtype))


def _lab_inverse_f(t):
    """The inverse of CIELAB's f(t) (CIE 15:2004): t^3 above 6/29, linear below."""
    return np.where(t > _LAB_DELTA, t * t * t, (t - 4.0 / 29.0) * np.float32(3 * _LAB_DELTA**2))


def _lab_planes_to_rgb(lightness, a, b, dtype):
    fy = (lightness + np.float32(16.0)) * np.float32(1 / 116)
    luminance = np.clip(_lab_inverse_f(fy), 0.0, 1.0)
    x = _lab_inverse_f(fy + a * np.float32(1 / 500)) * _XYZ_WHITE[0]
    z = _lab_inverse_f(fy - b * np.float32(1 / 200)) * _XYZ_WHITE[2]
    channels = [m[0] * x + m[1] * luminance + m[2] * z for m in _RGB_FROM_XYZ]
    # the largest s in [0, 1] with luminance + s * (channel - luminance) inside [0, 1] for all three
    with np.errstate(divide="ignore", invalid="ignore"):
        highest = np.maximum(np.maximum(channels[0], channels[1]), channels[2])
        lowest = np.minimum(np.minimum(channels[0], channels[1]), channels[2])
        scale = np.minimum(np.where(highest > 1.0, (1.0 - luminance) / (highest - luminance), 1.0),
                           np.where(lowest < 0.0, luminance / (luminance - lowest), 1.0))
    rgb = np.empty(lightness.shape + (3,), dtype=dtype)
    for index, channel in enumerate(channels):
        linear = np.clip(luminance + scale * (channel - luminance), 0.0, 1.0)
        if dtype == np.uint8:  # a 65,536-level table from linear light: within 0.05 of an 8-bit step
            rgb[..., index] = _ENCODE_UINT8[(linear * np.float32(65535) + np.float32(0.5)).astype(np.uint16)]
        elif dtype == np.uint16:
            rgb[..., index] = np.rint(_srgb_encode(linear) * np.float32(65535))
        else:
            rgb[..., index] = _srgb_encode(linear)
    return rgb


def rgb_to_gray(rgb):
    """sRGB ``(..., H, W, 3)`` -> gray ``(..., H, W, 1)`` with the same CIELAB L (see module doc).

    L depends on the luminance Y alone, so the gray value is Y sRGB-encoded.
    """
    luminance = _linear_rgb_to(_XYZ_FROM_RGB[1:2], rgb)
    return _srgb_encode(luminance).astype(np.float32)


def gray_from_rgb8(rgb):
    """uint8 sRGB ``(H, W, 3)`` -> uint8 gray ``(H, W)``, ``rgb_to_gray`` rounded to 8 bits (within
    one level of it), by table lookups in bands of rows: memory stays flat for any photo size."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"expected uint8 RGB of shape (H, W, 3). Received: dtype={rgb.dtype}, shape={rgb.shape}")
    gray = np.empty(rgb.shape[:2], dtype=np.uint8)

    def convert(start, stop):
        band = rgb[start:stop]
        luminance = sum(_LUMINANCE_FROM_UINT8[channel][band[..., channel]] for channel in range(3))
        gray[start:stop] = _ENCODE_UINT8[(luminance * np.float32(65535) + np.float32(0.5)).astype(np.uint16)]

    for_each_band(*gray.shape, convert)
    return gray


def for_each_band(height, width, convert):
    """Calls ``convert(start, stop)`` for bands of rows of about ``_CHUNK_PIXELS`` pixels, on every
    core (NumPy and Pillow release the GIL): memory stays flat and both cores stay busy."""
    from concurrent.futures import ThreadPoolExecutor

    rows = max(1, _CHUNK_PIXELS // max(width, 1))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda start: convert(start, min(height, start + rows)), range(0, height, rows)))


def _srgb_decode(encoded):
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def _srgb_encode(linear):
    linear = np.clip(linear, 0.0, 1.0).astype(np.float32, copy=False)
    return np.where(linear <= 0.0031308, np.float32(12.92) * linear,
                    np.float32(1.055) * np.power(linear, np.float32(1 / 2.4)) - np.float32(0.055))


_ENCODE_UINT8 = np.rint(_srgb_encode(np.linspace(0.0, 1.0, 65536, dtype=np.float32)) * 255).astype(np.uint8)
# each uint8 channel's share of the luminance Y: (3, 256); rows sum to at most 1 (white)
_LUMINANCE_FROM_UINT8 = (_XYZ_FROM_RGB[1][:, None]
                         * _srgb_decode(np.arange(256) / 255.0)[None, :]).astype(np.float32)


def gray_to_lightness(gray):
    """Gray (any shape) -> CIELAB L in [0, 100], float32, same shape.

    ``gray`` is float in [0, 1], uint8 or uint16. A gray pixel has R = G = B, so its L depends on
    the value alone: the conversion is a lookup table over 65,536 levels (exact for 8- and 16-bit
    input, and light on memory for large images).
    """
    gray = np.asarray(gray)
    table = _LIGHTNESS_FROM_UINT16
    if gray.dtype == np.uint8:
        return table[::257][gray]
    if gray.dtype == np.uint16:
        return table[gray]
    # float32 at least: float16 cannot hold 65535 (it would overflow to inf)
    return table[np.rint(np.clip(gray.astype(np.float32, copy=False), 0.0, 1.0) * 65535).astype(np.int32)]


def _lightness_from_luminance(luminance):
    """CIE L* of relative luminance Y in [0, 1] (CIE 15:2004)."""
    return 116 * _lab_f(luminance) - 16


_LIGHTNESS_FROM_UINT16 = _lightness_from_luminance(_srgb_decode(np.arange(65536) / 65535.0)).astype(np.float32)


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


def resize_plane(plane, height, width, values=None):
    """Resizes an ``(h, w)`` plane to float32 ``(height, width)``: box filter down, bilinear up
    (Pillow). A uint8 or uint16 plane keeps its values' scale, and is made float inside Pillow.

    ``values``: a function applied to the plane's values first (elementwise, e.g.
    ``gray_to_lightness``). Downscaling runs in bands of source rows (Pillow's ``box``), so neither a
    float copy nor ``values`` of the whole plane is ever made: 4 bytes a pixel of a 150 MP photo
    would be 600 MB.
    """
    from PIL import Image

    plane = np.asarray(plane)
    scale = plane.shape[0] / height  # source rows per output row
    rows = max(1, int(_RESIZE_BAND_PIXELS // (plane.shape[1] * scale)))  # output rows per band
    down = height * width < plane.size
    if plane.shape == (height, width) or not down or rows >= height:  # in one piece
        whole = _as_float32(values(plane) if values else plane)
        if plane.shape == (height, width):
            return whole
        method = Image.Resampling.BOX if down else Image.Resampling.BILINEAR
        return np.asarray(Image.fromarray(whole, mode="F").resize((width, height), method), dtype=np.float32)
    # Bands give the same box filter, up to a source row that lies on a band's edge within float
    # rounding (Pillow then counts it in one band or the other)
    out = np.empty((height, width), np.float32)

    def band(start, stop):
        top, bottom = start * scale, min(stop * scale, plane.shape[0])
        first, last = int(top), min(plane.shape[0], int(np.ceil(bottom)))
        source = plane[first:last]
        source = _as_float32(values(source) if values else source)
        out[start:stop] = Image.fromarray(source, mode="F").resize(
            (width, stop - start), Image.Resampling.BOX, box=(0, top - first, plane.shape[1], bottom - first))

    for start in range(0, height, rows):
        band(start, min(height, start + rows))
    return out


UPSAMPLING_METHODS = ("joint_bilateral", "bilinear", "bicubic", "guided")
DEFAULT_UPSAMPLING = "joint_bilateral"  # measured best on BSDS500 val (README, "Chroma upsampling")
BILATERAL_SIGMA = 10.0  # lightness difference (L units) at which a chroma sample's weight falls to 0.61
GUIDED_RADIUS, GUIDED_EPSILON = 1, 25.0  # window radius (pixels of the chroma), regularisation (L^2)


def _bilinear_taps(size_out, size_in):
    """For each output index along one axis: the two input indices around it and the second's weight
    (pixel centres aligned, as Pillow and ``tf.image.resize`` do)."""
    source = np.clip((np.arange(size_out, dtype=np.float32) + 0.5) * (size_in / size_out) - 0.5, 0, size_in - 1)
    first = np.floor(source).astype(np.intp)
    return first, np.minimum(first + 1, size_in - 1), (source - first).astype(np.float32)


def _joint_bilateral(lightness, ab, sigma):
    """Joint bilateral upsampling (Kopf et al. 2007) over the 2 x 2 chroma samples around each pixel.

    Each sample's bilinear weight is multiplied by how close its lightness (the full-resolution
    lightness averaged over its cell) is to the pixel's own, so a pixel takes its colour from the
    samples on its side of an edge. Returns ``rows(start, stop) -> (a, b)`` at full resolution.
    """
    height, width = lightness.shape
    small_height, small_width = ab.shape[:2]
    guide = resize_plane(lightness, small_height, small_width)
    y_first, y_second, y_weight = _bilinear_taps(height, small_height)
    x_first, x_second, x_weight = _bilinear_taps(width, small_width)
    planes = np.stack([guide, ab[..., 0], ab[..., 1]])  # (3, h, w)
    columns = ((planes[:, :, x_first], 1 - x_weight), (planes[:, :, x_second], x_weight))  # (3, h, W) each
    falloff = np.float32(-0.5 / sigma**2)

    def rows(start, stop):
        pixel_lightness = lightness[start:stop]
        total_a, total_b, total_weight = 0.0, 0.0, np.float32(0.0)
        for small_rows, row_weight in ((y_first, 1 - y_weight), (y_second, y_weight)):
            small_rows, row_weight = small_rows[start:stop], row_weight[start:stop, None]
            for samples, column_weight in columns:
                sample_lightness, sample_a, sample_b = samples[:, small_rows]
                difference = pixel_lightness - sample_lightness
                # + 1e-3: a pixel unlike all four samples (a thin bright line) falls back to bilinear
                weight = (row_weight * column_weight) * (np.exp(difference * difference * falloff) + np.float32(1e-3))
                total_a = total_a + weight * sample_a
                total_b = total_b + weight * sample_b
                total_weight = total_weight + weight
        return total_a / total_weight, total_b / total_weight

    return rows


def guided_coefficients(guide, source, radius=GUIDED_RADIUS, epsilon=GUIDED_EPSILON):
    """The guided filter's local linear model (He et al. 2013), fitted on small planes.

    Args:
        guide: float32 ``(h, w)``, the lightness at the chroma's resolution.
        source: float32 ``(h, w, C)`` chroma.
    Returns:
        float32 ``(h, w, C)`` slopes and intercepts: chroma ~ slope * lightness + intercept near
        each pixel. Upsampled and applied to full-resolution lightness, they give the fast
        guided filter's upsampling (He and Sun 2015).
    """
    from scipy.ndimage import uniform_filter

    def mean(plane):
        return uniform_filter(plane, size=2 * radius + 1, mode="reflect")

    guide = _as_float32(guide)
    mean_guide = mean(guide)
    variance = mean(guide * guide) - mean_guide**2
    slopes, intercepts = [], []
    for channel in np.moveaxis(_as_float32(source), -1, 0):
        mean_source = mean(channel)
        slope = (mean(guide * channel) - mean_guide * mean_source) / (variance + epsilon)
        slopes.append(mean(slope))
        intercepts.append(mean(mean_source - slope * mean_guide))
    return np.stack(slopes, axis=-1), np.stack(intercepts, axis=-1)


def _resized_rows(planes, height, width, resample):
    """``rows(start, stop)``: those rows of each float ``(h, w)`` plane resized to ``(height, width)``
    by Pillow. Its ``box`` maps exactly those rows and reads beyond them for support, so chunks
    join seamlessly into the whole resize."""
    from PIL import Image

    images = [Image.fromarray(np.ascontiguousarray(plane), mode="F") for plane in planes]
    small_height = planes[0].shape[0]

    def rows(start, stop):
        box = (0.0, start * small_height / height, planes[0].shape[1], stop * small_height / height)
        return [np.asarray(image.resize((width, stop - start), resample, box=box)) for image in images]

    return rows


def chroma_upsampler(lightness, ab, method=DEFAULT_UPSAMPLING, sigma=BILATERAL_SIGMA):
    """``rows(start, stop) -> (a, b)``: chroma ``(h, w, 2)`` brought to the size of ``lightness``
    ``(H, W)``, a band of rows at a time, by one of ``UPSAMPLING_METHODS``:

    * "joint_bilateral": bilinear weights times lightness similarity (``_joint_bilateral``; ``sigma``
      in L units, the default chosen on BSDS500 val);
    * "bilinear", "bicubic": Pillow's resampling, blind to edges;
    * "guided": the fast guided filter (``guided_coefficients``), chroma a local linear
      function of the full-resolution lightness.
    """
    from PIL import Image

    if method not in UPSAMPLING_METHODS:
        raise ValueError(f"upsampling must be one of {UPSAMPLING_METHODS}. Received: upsampling={method!r}")
    lightness, ab = _as_float32(lightness), _as_float32(ab)
    height, width = lightness.shape
    if ab.shape[:2] == (height, width):
        return lambda start, stop: (ab[start:stop, :, 0], ab[start:stop, :, 1])
    if method == "joint_bilateral":
        return _joint_bilateral(lightness, ab, sigma)
    if method == "guided":
        slopes, intercepts = guided_coefficients(resize_plane(lightness, *ab.shape[:2]), ab)
        coefficients = _resized_rows([*np.moveaxis(slopes, -1, 0), *np.moveaxis(intercepts, -1, 0)],
                                     height, width, Image.Resampling.BILINEAR)

        def rows(start, stop):
            slope_a, slope_b, intercept_a, intercept_b = coefficients(start, stop)
            return slope_a * lightness[start:stop] + intercept_a, slope_b * lightness[start:stop] + intercept_b

        return rows
    resample = Image.Resampling.BILINEAR if method == "bilinear" else Image.Resampling.BICUBIC
    return _resized_rows([ab[..., 0], ab[..., 1]], height, width, resample)


def recombine(lightness, ab, dtype=np.float32, upsampling=DEFAULT_UPSAMPLING):
    """Join full-resolution lightness with chroma of any size into sRGB of the lightness's size.

    Args:
        lightness: float32 ``(H, W)`` CIELAB L in [0, 100].
        ab: float32 ``(h, w, 2)`` predicted chroma in CIELAB units, any h x w.
        dtype: float32 (values in [0, 1]), uint8 or uint16 (full range) for the result.
        upsampling: how the chroma reaches H x W, one of ``UPSAMPLING_METHODS`` (see
            ``chroma_upsampler``); the default lets colour stop at lightness edges.
    Returns:
        ``(H, W, 3)`` sRGB of ``dtype`` whose CIELAB lightness is ``lightness`` (up to rounding).

    The work runs in bands of rows on every core (``for_each_band``): memory beyond the output
    stays flat, and each band is upsampled and converted before the next is touched.
    """
    lightness = _as_float32(lightness)
    chroma_rows = chroma_upsampler(lightness, ab, upsampling)
    rgb = np.empty(lightness.shape + (3,), dtype=dtype)

    def convert(start, stop):
        a, b = chroma_rows(start, stop)
        rgb[start:stop] = _lab_planes_to_rgb(lightness[start:stop], a, b, np.dtype(dtype))

    for_each_band(*lightness.shape, convert)
    return rgb
