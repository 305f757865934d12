"""Recoloured training crops: teaching a hint model that a hint colours its region, not the photo.

Hints drawn from the truth cannot teach locality: in a photo, one region's colour also predicts
the others' (a blue hint on a sky says "outdoors", and the grass is green), so a network trained
on them alone learns that a hint tints the scene (docs/hints.md: one hint of a colour unlike the
truth's moves other segments a third of the way to it). Here, for a share of the crops, one region
(a Felzenszwalb segment of the colour crop) takes another colour in the training target, its hue
turned and its chroma raised, lightness kept, and one hint of its new colour falls inside it;
everything outside the region keeps its true colour, so a hint that spreads costs loss.
"""

import numpy as np

from colorize_cnn import color, heads
from colorize_cnn.hints import (HINT_CHANNELS, PAPER_PATCH_SIDES, PAPER_SIDE, network_input, simulate_planes,
                                with_hint_planes)

SEGMENT_SCALE = 300  # Felzenszwalb scale at a 64 px crop (larger: larger regions)
SEGMENT_SIGMA = 0.5
MIN_REGION_SHARE = 0.03  # a recoloured region holds at least this share of the crop
TURN_DEGREES = (90.0, 270.0)  # how far the region's mean hue turns
NEW_CHROMA = (30.0, 60.0)  # its mean chroma is raised to a value drawn from this range (if lower)


def recolour_regions(rgb, rng, share):
    """Recolours one region in a ``share`` of the crops ``rgb`` ``(N, S, S, 3)`` in [0, 1].

    Returns ``(target_rgb, planes)``: the crops with their recoloured regions (the rest unchanged;
    out-of-gamut colours clipped to sRGB) and hint planes ``(N, S, S, 3)`` holding one hint inside
    each recoloured region (a square patch of the paper's sizes, cut to the region, its colour the
    new one there), zero for the crops left alone."""
    rgb = np.asarray(rgb, np.float32)
    count, height, width, _ = rgb.shape
    target = rgb.copy()
    planes = np.zeros((count, height, width, HINT_CHANNELS), np.float32)
    for index in np.flatnonzero(rng.random(count) < share):
        region = _region(rgb[index], rng)
        if region is None:
            continue
        lab = color.rgb_to_lab(rgb[index])
        lab[region, 1:] += _colour_shift(lab[region, 1:].mean(axis=0), rng)
        target[index] = np.clip(color.lab_to_rgb(lab), 0.0, 1.0)
        patch = _hint_patch(region, height, width, rng)
        planes[index, patch, :2] = color.rgb_to_lab(target[index])[patch, 1:].mean(axis=0) / color.AB_RANGE
        planes[index, patch, 2] = 1.0
    return target, planes


def _region(rgb, rng):
    """A random Felzenszwalb segment of one crop holding at least ``MIN_REGION_SHARE`` of it (None if none)."""
    from skimage.segmentation import felzenszwalb  # only for runs that recolour: not at train.py's import

    segments = felzenszwalb(rgb, scale=SEGMENT_SCALE, sigma=SEGMENT_SIGMA, min_size=8)
    labels, sizes = np.unique(segments, return_counts=True)
    large = labels[sizes >= MIN_REGION_SHARE * segments.size]
    return None if not len(large) else segments == rng.choice(large)


def _colour_shift(mean_ab, rng):
    """The ab shift that turns a region's mean colour ``mean_ab`` to another hue, at least as colourful."""
    chroma = max(float(np.hypot(*mean_ab)), rng.uniform(*NEW_CHROMA))
    hue = np.arctan2(mean_ab[1], mean_ab[0]) + np.deg2rad(rng.uniform(*TURN_DEGREES))
    return np.array([chroma * np.cos(hue), chroma * np.sin(hue)], np.float32) - mean_ab


def _hint_patch(region, height, width, rng):
    """A hint patch inside ``region`` (a mask): centred on one of its inner pixels, cut to the region."""
    from scipy import ndimage

    inner = ndimage.binary_erosion(region)
    rows, columns = np.nonzero(inner if inner.any() else region)
    pick = rng.integers(len(rows))
    side = max(1, round(rng.choice(PAPER_PATCH_SIDES) * min(height, width) / PAPER_SIDE))
    top = int(np.clip(rows[pick] - side // 2, 0, height - side))
    left = int(np.clip(columns[pick] - side // 2, 0, width - side))
    patch = np.zeros_like(region)
    patch[top:top + side, left:left + side] = True
    patch &= region
    if not patch.any():
        patch[rows[pick], columns[pick]] = True
    return patch


def training_pair(config, kind, stride, takes_hints, rgb, rng):
    """``(inputs, targets)`` for colour crops ``rgb``: their gray (for a hint model joined to hints
    simulated from the truth), and the targets of their colours; for a hint model with
    ``config.recolour_share``, that share of crops has one region recoloured in the targets, with a
    hint of its new colour inside it (``recolour.recolour_regions``)."""
    if not (takes_hints and config.recolour_share):
        return network_input(rgb, takes_hints, rng, config.hint_placement), heads.fit_targets(kind, rgb, stride)
    target, recoloured = recolour_regions(rgb, rng, config.recolour_share)
    planes = simulate_planes(color.rgb_to_lab(target)[..., 1:], rng, placement=config.hint_placement)
    planes = np.where(recoloured[..., 2:] > 0, recoloured, planes)  # the region's hint stays
    return with_hint_planes(color.rgb_to_gray(rgb), planes), heads.fit_targets(kind, target, stride)
