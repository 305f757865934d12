"""Hints: colours a user gives at points of a photo, and how a hint-conditioned network sees them.

A hint is a position in the full-size image's pixel coordinates (``x`` from the left, ``y`` from
the top; pixel ``(0, 0)`` spans ``[0, 1) x [0, 1)``), a colour (sRGB ``"#3366cc"`` or
``(r, g, b)`` in 0..255) and an optional radius in full-size pixels. A hint fixes chroma, never
lightness: the network gets the colour's CIELAB a* and b*, and the output keeps the input's L.

The network sees hints as three planes at its working size (Zhang, Zhu et al. 2017): a* and b*
divided by ``color.AB_RANGE`` where a hint is, 0 elsewhere, and a mask (1 where a hint is). A hint
covers the working-size pixels whose centres lie within its radius of its position; without a
radius (or a radius under one working-size pixel), the one pixel it falls in.

The JSON form (``read_hints_file``, ``write_hints_file``; the command line's ``--hints`` and the
web page use it) is a list of objects::

    [{"x": 120, "y": 48.5, "color": "#3366cc"}, {"x": 10, "y": 300, "color": "#808080", "radius": 6}]
"""

import dataclasses
import json
import re

import numpy as np

from colorize_cnn import color
from colorize_cnn.config import HINT_PLACEMENTS
from colorize_cnn.errors import UserError, shown

HINT_CHANNELS = 3  # a*, b* (over AB_RANGE) and the mask
NO_HINT_SHARE = 1 / 8  # training: the number of hints is geometric with p = 1/8 (one image in eight has none)
PAPER_SIDE = 176  # training: patch sides 1..9 px at 176 px (Zhang, Zhu et al. 2017), scaled to the crop
PAPER_PATCH_SIDES = tuple(range(1, 10))


MAX_RADIUS = 100_000.0  # full-size pixels: beyond any photo's side (150 megapixels at most)
MAX_HINTS_FILE_BYTES = 4 << 20  # about 60,000 hints; a larger file is refused before it is read


class HintError(UserError, ValueError):
    """A hint that cannot be used: outside the image, a colour that is not one, a malformed file."""


@dataclasses.dataclass(frozen=True)
class Hint:
    x: float
    y: float
    color: tuple  # (r, g, b), ints in 0..255
    radius: float = None  # full-size pixels; None: one working-size pixel

    @property
    def hex(self):
        return "#{:02x}{:02x}{:02x}".format(*self.color)

    def as_json(self):
        item = {"x": self.x, "y": self.y, "color": self.hex}
        return item if self.radius is None else {**item, "radius": self.radius}


def parse_color(value):
    """``"#rrggbb"`` (or ``"#rgb"``) or ``(r, g, b)`` with ints in 0..255 -> an ``(r, g, b)`` tuple."""
    if isinstance(value, str):
        match = re.fullmatch(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", value.strip())
        if match is None:
            raise HintError(f"a hint colour must be sRGB as '#rrggbb' (e.g. '#3366cc') or (r, g, b) in 0..255. "
                            f"Received: {shown(value)}")
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(2 * digit for digit in digits)
        return tuple(int(digits[index:index + 2], 16) for index in (0, 2, 4))
    try:
        channels = tuple(value)
    except TypeError:
        channels = ()
    if len(channels) != 3 or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c <= 255
                                     for c in channels):
        raise HintError(f"a hint colour must be sRGB as '#rrggbb' (e.g. '#3366cc') or (r, g, b) with whole numbers "
                        f"in 0..255. Received: {shown(value)}")
    return tuple(int(c) for c in channels)


def _number(value, what):
    number = None
    if not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float's range
            pass
    if number is None or not np.isfinite(number):
        raise HintError(f"a hint's {what} must be a number (finite). Received: {what}={shown(value)}")
    return number


def make_hint(x, y, color, radius=None):
    """A checked ``Hint`` (the position is checked against an image by ``check_inside``)."""
    if radius is not None:
        radius = _number(radius, "radius")
        if not 0 < radius <= MAX_RADIUS:
            raise HintError(f"a hint's radius must be positive and at most {MAX_RADIUS:,.0f} (full-size pixels). "
                            f"Received: radius={shown(radius)}")
    return Hint(_number(x, "x"), _number(y, "y"), parse_color(color), radius)


def as_hints(hints):
    """Hints in any of the accepted forms -> a tuple of ``Hint``: ``Hint`` objects, dicts with
    ``x``, ``y``, ``color`` and optionally ``radius``, or ``(x, y, color[, radius])`` tuples."""
    if hints is None:
        return ()
    if not isinstance(hints, (list, tuple)):
        raise HintError(f"hints must be a list of hints (even for one hint). Received: {shown(hints)}")
    result = []
    for index, item in enumerate(hints):
        if isinstance(item, Hint):
            result.append(make_hint(item.x, item.y, item.color, item.radius))
        elif isinstance(item, dict):
            unknown = set(item) - {"x", "y", "color", "radius"}
            missing = {"x", "y", "color"} - set(item)
            if unknown or missing:
                raise HintError(f"hint {index + 1} must have 'x', 'y', 'color' and optionally 'radius'"
                                + (f"; it lacks {', '.join(sorted(missing))}" if missing else "")
                                + (f"; unknown: {', '.join(sorted(map(str, unknown)))[:60]}" if unknown else "")
                                + f". Received: {shown(item)}")
            result.append(make_hint(item["x"], item["y"], item["color"], item.get("radius")))
        elif isinstance(item, (tuple, list)) and len(item) in (3, 4):
            result.append(make_hint(*item))
        else:
            raise HintError(f"hint {index + 1} must be a Hint, a dict with x, y, color (and radius), or (x, y, color). "
                            f"Received: {shown(item)}")
    return tuple(result)


def check_inside(hints, height, width):
    """Refuses a hint whose position is outside an image of ``height x width`` pixels."""
    for index, hint in enumerate(hints):
        if not (0 <= hint.x < width and 0 <= hint.y < height):
            raise HintError(f"hint {index + 1} at x={hint.x:g}, y={hint.y:g} is outside the image ({width} x {height} "
                            f"pixels: 0 <= x < {width}, 0 <= y < {height}).")
    return hints


def parse_short_hint(text):
    """The command line's short form ``X,Y,#RRGGBB`` (or ``X,Y,#RRGGBB,RADIUS``) -> a ``Hint``."""
    parts = text.split(",")
    try:
        if len(parts) not in (3, 4):
            raise ValueError
        numbers = [float(part) for part in parts[:2]] + ([float(parts[3])] if len(parts) == 4 else [])
    except ValueError:
        raise HintError(f"a hint is X,Y,#RRGGBB (or X,Y,#RRGGBB,RADIUS) in the photo's pixels, e.g. 120,48,#3366cc. "
                        f"Received: {text!r}") from None
    return make_hint(numbers[0], numbers[1], parts[2], numbers[2] if len(parts) == 4 else None)


def read_hints_file(path):
    """The hints in a JSON file (the module docstring's form)."""
    import os

    try:
        size = os.stat(path).st_size
        if size > MAX_HINTS_FILE_BYTES:
            raise HintError(f"hints file {path} is {size / 2**20:.1f} MB; a hints file is at most "
                            f"{MAX_HINTS_FILE_BYTES >> 20} MB (about 60,000 hints).")
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        raise HintError(f"hints file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise HintError(f"cannot read the hints file {path} ({getattr(error, 'strerror', None) or error}).") from None
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as error:  # not JSON, a number of over 4,300 digits, nesting too deep
        reason = "nested too deep" if isinstance(error, RecursionError) else str(error)[:120]
        raise HintError(f"hints file {path} is not valid JSON ({reason}); it must be a list of "
                        '{"x": ..., "y": ..., "color": "#rrggbb"} objects.') from None
    if not isinstance(items, list):
        raise HintError(f"hints file {path} must hold a list of " '{"x": ..., "y": ..., "color": "#rrggbb"} objects.')
    try:
        return as_hints(items)
    except HintError as error:
        raise HintError(f"hints file {path}: {error}") from None


def write_hints_file(hints, path):
    """Writes hints as the JSON that ``read_hints_file`` (and ``colorize-cnn --hints``) reads."""
    from colorize_cnn.files import atomic_output

    with atomic_output(path) as temporary:
        temporary.write_text(json.dumps([hint.as_json() for hint in as_hints(hints)], indent=1) + "\n")


# --- what the network sees ---------------------------------------------------------------------

def hint_ab(hints):
    """CIELAB a*, b* of each hint's colour, ``(len(hints), 2)`` float32."""
    if not hints:
        return np.zeros((0, 2), np.float32)
    rgb = np.array([hint.color for hint in hints], np.float32)[None] / 255.0
    return color.rgb_to_lab(rgb)[0, :, 1:]


def hint_planes(hints, full_shape, small_shape):
    """The network's hint planes ``(h, w, 3)`` at the working size ``small_shape`` for ``hints``
    given in the coordinates of an image of ``full_shape`` (later hints win where they overlap)."""
    (height, width), (small_height, small_width) = full_shape, small_shape
    planes = np.zeros((small_height, small_width, HINT_CHANNELS), np.float32)
    scale_y, scale_x = small_height / height, small_width / width
    rows, columns = np.arange(small_height) + 0.5, np.arange(small_width) + 0.5
    for hint, ab in zip(hints, hint_ab(hints)):
        centre_y, centre_x = hint.y * scale_y, hint.x * scale_x
        radius = 0.0 if hint.radius is None else hint.radius * min(scale_x, scale_y)
        if radius >= 1.0:  # the working-size pixels whose centres are within the radius
            inside = (rows[:, None] - centre_y) ** 2 + (columns[None, :] - centre_x) ** 2 <= radius**2
        else:  # the pixel the position falls in
            inside = np.zeros((small_height, small_width), bool)
            inside[min(int(centre_y), small_height - 1), min(int(centre_x), small_width - 1)] = True
        planes[inside, :2] = ab / color.AB_RANGE
        planes[inside, 2] = 1.0
    return planes


EDGE_AB_SPREAD = 8.0  # "scene" placement: a patch whose ab (with a 1 px ring) spreads more sits on an edge
EDGE_TRIES = 4


def simulate_planes(ab, rng, no_hint_share=NO_HINT_SHARE, placement="centre"):
    """Training hints drawn from the true colours ``ab`` ``(N, S, S, 2)``: a geometric number of
    points (one image in ``1 / no_hint_share`` has none), each a square patch whose hint is the
    patch's mean ab. Patch sides are the paper's 1..9 px at 176 px scaled to the crop side S and
    rounded, at least 1 px (at S = 64: 1, 2 or 3 px with odds 4 : 2 : 3). ``placement``: "centre"
    (Zhang, Zhu et al. 2017: centred with a spread of a quarter of the side, for object-centred
    images) or "scene" (anywhere in the crop, inside a region as a user clicks: a patch whose ab,
    with a 1 px ring, spreads more than ``EDGE_AB_SPREAD`` is drawn again, up to ``EDGE_TRIES``
    times). Returns ``(N, S, S, 3)`` float32 planes."""
    if placement not in HINT_PLACEMENTS:
        raise ValueError(f"placement must be one of {HINT_PLACEMENTS}. Received: {placement!r}")
    count, height, width, _ = ab.shape
    planes = np.zeros((count, height, width, HINT_CHANNELS), np.float32)
    for index in range(count):
        for _ in range(rng.geometric(no_hint_share) - 1):
            side = max(1, round(rng.choice(PAPER_PATCH_SIDES) * min(height, width) / PAPER_SIDE))
            top, left = _patch_corner(ab[index], side, rng, placement)
            patch = (index, slice(top, top + side), slice(left, left + side))
            planes[patch][..., :2] = ab[patch].mean(axis=(0, 1)) / color.AB_RANGE
            planes[patch][..., 2] = 1.0
    return planes


def _patch_corner(ab, side, rng, placement):
    height, width = ab.shape[:2]
    if placement == "centre":
        return (int(np.clip(rng.normal((height - side + 1) / 2, (height - side + 1) / 4), 0, height - side)),
                int(np.clip(rng.normal((width - side + 1) / 2, (width - side + 1) / 4), 0, width - side)))
    for _ in range(EDGE_TRIES):
        top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        ring = ab[max(0, top - 1):top + side + 1, max(0, left - 1):left + side + 1].reshape(-1, 2)
        if np.linalg.norm(ring.std(axis=0)) <= EDGE_AB_SPREAD:
            break
    return top, left


def with_hint_planes(gray, planes=None):
    """The network input of a hint-conditioned model: gray ``(N, H, W, 1)`` joined to its hint
    planes (no hints: zeros)."""
    gray = np.asarray(gray, np.float32)
    if planes is None:
        planes = np.zeros(gray.shape[:-1] + (HINT_CHANNELS,), np.float32)
    return np.concatenate([gray, np.asarray(planes, np.float32)], axis=-1)


def network_input(rgb, takes_hints, rng, placement="centre"):
    """The training input for colour images ``(N, S, S, 3)``: their gray, joined for a hint model to
    hints simulated from their true colours (``simulate_planes`` at ``placement``)."""
    gray = color.rgb_to_gray(rgb)
    if not takes_hints:
        return gray
    return with_hint_planes(gray, simulate_planes(color.rgb_to_lab(rgb)[..., 1:], rng, placement=placement))
