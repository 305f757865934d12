"""The hint protocol: hints drawn from the truth by a fixed, seeded protocol, and their spread
(the measures; ``colorize_cnn.reports.hint_report`` makes the report, tables and figures).

**The protocol** (Zhang, Zhu et al. 2017's evaluation, at the 64 px working size whatever the model's): for each photo, a
sequence of ``MAX_HINTS`` points, each drawn from a normal distribution centred on the photo with a
spread of a quarter of its side (per axis, clipped to the photo); the hint's colour is the true
colour averaged over the working-size pixel the point falls in (the patch the network sees), as
sRGB. ``n`` hints are the first ``n`` of the sequence, so more hints only add. The random stream
of a photo depends on the seed and the photo's name alone; the sequences are saved as the JSON of
``colorize_cnn.hints`` (one file per photo), and a re-run reads them back.

**Single-hint trials** on photos with human segmentations (BSDS500), two failures in view: a hint
that barely leaves its patch, and a hint that spreads over the whole photo instead of its object.
*Spread*: a hint from the truth falls in one segment; the ab error (mean Euclidean distance to the
true a*b*) inside that segment, and outside it (further than ``OUTSIDE_MARGIN`` px), with the hint
and without; and iColoriT's hint propagation range. *Recolour*: a hint whose colour is not the
photo's own (``recolour_hint``); the share of the way to its colour taken inside its segment, in
the other segments and far from it (``take_up``).
"""

import zlib
from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.config import WORKING_SIZE

MAX_HINTS = 50
HINT_COUNTS = (0, 1, 2, 5, 10, 20, 50)
OUTSIDE_MARGIN = 5  # px: "outside the segment" starts this far from it
RECOLOUR_MIN_CHROMA = 40.0  # a recolour hint's least chroma (a*b* distance from gray)
FAR_SHARE = 1 / 3  # "far from the hint": beyond this share of the photo's diagonal
MOVED_SHARE = 0.2  # other segments "moved" by a hint: they took more than this share of the way to it
JND = 2.3  # CIELAB just-noticeable difference (MacAdam 1942), the hint propagation range's threshold


def _rng(name, seed):
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def protocol_hints(name, truth, seed=0, count=MAX_HINTS, working_size=WORKING_SIZE):
    """The protocol's hint sequence for the photo ``truth`` (float RGB ``(H, W, 3)``) called ``name``."""
    from colorize_cnn.hints import make_hint

    rng = _rng(name, seed)
    height, width = truth.shape[:2]
    scale = min(1.0, working_size / max(height, width))
    cell_y, cell_x = height / max(1, round(height * scale)), width / max(1, round(width * scale))
    hints = []
    for _ in range(count):
        y = float(np.clip(rng.normal(height / 2, height / 4), 0, height - 1))
        x = float(np.clip(rng.normal(width / 2, width / 4), 0, width - 1))
        top, left = int(y // cell_y * cell_y), int(x // cell_x * cell_x)  # the working-size pixel's box
        patch = truth[top:max(top + 1, int(round(top + cell_y))), left:max(left + 1, int(round(left + cell_x)))]
        lab = color.rgb_to_lab(patch).reshape(-1, 3).mean(axis=0)
        rgb = np.clip(color.lab_to_rgb(lab[None, None].astype(np.float32))[0, 0], 0, 1)
        hints.append(make_hint(int(x), int(y), tuple(int(v) for v in np.rint(rgb * 255))))
    return tuple(hints)


def hint_sequences(names, truths, folder, seed=0, working_size=WORKING_SIZE):
    """The protocol's sequence for each photo, read from ``folder/<name>.json`` where an earlier run
    saved it, else drawn and saved there (``folder`` None: drawn, not saved)."""
    from colorize_cnn.hints import read_hints_file, write_hints_file

    sequences = []
    for name, truth in zip(names, truths):
        path = None if folder is None else Path(folder) / f"{Path(name).stem}.json"
        if path is not None and path.is_file():
            sequences.append(read_hints_file(path))
            continue
        sequence = protocol_hints(name, truth, seed, working_size=working_size)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_hints_file(sequence, path)
        sequences.append(sequence)
    return sequences


def colorize_with_hints(colorizer, truths, sequences, count, vividness=None, working_size=None):
    """Each photo's gray (its true L) colorized at its own size with the first ``count`` hints
    (``working_size`` ``None``: the model's own)."""
    from colorize_cnn.colorize import colorize

    return [colorize(color.rgb_to_gray(truth)[..., 0], colorizer, working_size, vividness,
                     hints=sequence[:count] if count else None)
            for truth, sequence in zip(truths, sequences)]


def values_by_hint_count(colorizer, truths, sequences, prior, counts=HINT_COUNTS, vividness=None,
                         working_size=None):
    """Per-photo metrics (``evaluate.photo_metrics``) at each number of hints: ``{count: {metric: (N,)}}``."""
    from colorize_cnn.evaluate import photo_metrics

    return {count: photo_metrics(colorize_with_hints(colorizer, truths, sequences, count, vividness, working_size),
                                 truths, prior)
            for count in counts}


# --- spread ----------------------------------------------------------------------------------

def load_segmentation(path):
    """The first human segmentation of a BSDS500 ground-truth ``.mat`` file: int labels ``(H, W)``."""
    from scipy.io import loadmat

    truth = loadmat(path)["groundTruth"]
    return np.asarray(truth[0, 0]["Segmentation"][0, 0], dtype=np.int32)


def _ab_error(ab, true_ab):
    return np.linalg.norm(ab - true_ab, axis=-1)


def recolour_hint(name, truth, seed=0, working_size=WORKING_SIZE):
    """One hint whose colour is not the photo's own: at a seeded point (the protocol's way, from its
    own random stream), the true a*b* there turned half-way round the hue circle, its chroma raised
    to at least ``RECOLOUR_MIN_CHROMA`` (a gray point gets a seeded hue), at the L* whose sRGB colour
    comes closest to that a*b* (hints give a*b* alone)."""
    from colorize_cnn.hints import make_hint

    hint = protocol_hints(f"{name}/recolour", truth, seed, 1, working_size)[0]
    ab = -color.rgb_to_lab(np.array([[hint.color]], np.float32) / 255.0)[0, 0, 1:].astype(np.float64)
    chroma = float(np.hypot(*ab))
    if chroma < 1.0:
        angle = _rng(f"{name}/recolour-hue", seed).uniform(0, 2 * np.pi)
        ab, chroma = np.array([np.cos(angle), np.sin(angle)]), 1.0
    ab *= max(chroma, RECOLOUR_MIN_CHROMA) / chroma
    # sRGB holds a hue's chroma best at its own L* (cyan light, blue dark): keep the L* that clips least
    lab = np.array([[[lightness, *ab] for lightness in range(30, 95, 5)]], np.float32)
    rgb = np.clip(color.lab_to_rgb(lab)[0], 0, 1)
    kept = np.linalg.norm(color.rgb_to_lab(rgb[None])[0, :, 1:] - ab, axis=-1)
    return make_hint(hint.x, hint.y, tuple(int(v) for v in np.rint(rgb[np.argmin(kept)] * 255)))


def take_up(automatic_ab, hinted_ab, target_ab, where):
    """The mean share of the way from the automatic a*b* to ``target_ab`` that the hinted a*b*
    takes over the pixels ``where``: the projection of each pixel's move on its way to the target
    (1: it reached the target, 0: it did not move towards it; a pixel already within 10 of the
    target counts its way as 10)."""
    way = target_ab - automatic_ab[where]
    moved = hinted_ab[where] - automatic_ab[where]
    return float(np.mean((moved * way).sum(-1) / np.maximum((way**2).sum(-1), 100.0))) if way.size else float("nan")


def propagation_range(before, after, hint):
    """iColoriT's hint propagation range (Yun, Lee et al. 2023, its ``evaluation/hpr.py``): the mean
    distance from a new hint to the pixels whose CIELAB colour it changed by more than the
    just-noticeable difference ``JND``; 0 when it changed none. In pixels of the photo."""
    changed = np.linalg.norm(color.rgb_to_lab(after) - color.rgb_to_lab(before), axis=-1) > JND
    rows, columns = np.nonzero(changed)
    return float(np.hypot(rows - hint.y, columns - hint.x).mean()) if rows.size else 0.0


def single_hint_trials(colorizer, name, truth, segmentation, trials=3, seed=0, vividness=None,
                       working_size=None):
    """Single-hint trials on one photo with a human segmentation. For each trial: a hint from the
    truth (the protocol's way, from its own random stream): the mean ab error inside its segment and
    outside it (further than ``OUTSIDE_MARGIN`` px), with the hint and without, and its
    propagation range; and a recolour hint (``recolour_hint``): the share of the way to its colour
    taken inside its segment, in the other segments (further than ``OUTSIDE_MARGIN`` px) and beyond
    ``FAR_SHARE`` of the photo's diagonal from it (``take_up``). The hints are the protocol's
    whatever the model's ``working_size`` (``None``: its own). Returns a list of dicts."""
    from scipy.ndimage import distance_transform_edt

    from colorize_cnn.colorize import ColorizeSession
    from colorize_cnn.hints import hint_ab

    session = ColorizeSession(color.rgb_to_gray(truth)[..., 0], colorizer, working_size)
    true_ab = color.rgb_to_lab(truth)[..., 1:]
    automatic = session.render((), vividness)
    automatic_ab = color.rgb_to_lab(automatic)[..., 1:]
    height, width = segmentation.shape
    rows, columns = np.mgrid[:height, :width]
    truth_hints = protocol_hints(f"{name}/spread", truth, seed, trials)
    results = []
    for trial, hint in enumerate(truth_hints):
        segment = segmentation == segmentation[int(hint.y), int(hint.x)]
        outside = distance_transform_edt(~segment) > OUTSIDE_MARGIN
        hinted = session.render((hint,), vividness)
        hinted_ab = color.rgb_to_lab(hinted)[..., 1:]
        recolour = recolour_hint(f"{name}/{trial}", truth, seed)
        own = segmentation == segmentation[int(recolour.y), int(recolour.x)]
        others = distance_transform_edt(~own) > OUTSIDE_MARGIN
        far = np.hypot(rows - recolour.y, columns - recolour.x) > FAR_SHARE * np.hypot(height, width)
        recoloured_ab = color.rgb_to_lab(session.render((recolour,), vividness))[..., 1:]
        target = hint_ab((recolour,))[0]
        results.append({
            "photo": name, "trial": trial, "segment_share": float(segment.mean()),
            "inside_automatic": float(_ab_error(automatic_ab, true_ab)[segment].mean()),
            "inside_hinted": float(_ab_error(hinted_ab, true_ab)[segment].mean()),
            "outside_automatic": float(_ab_error(automatic_ab, true_ab)[outside].mean()) if outside.any() else float("nan"),
            "outside_hinted": float(_ab_error(hinted_ab, true_ab)[outside].mean()) if outside.any() else float("nan"),
            "propagation_range": propagation_range(automatic, hinted, hint),
            "diagonal": float(np.hypot(height, width)),
            "recolour": recolour.as_json(),
            "take_up_segment": take_up(automatic_ab, recoloured_ab, target, own),
            "take_up_other_segments": take_up(automatic_ab, recoloured_ab, target, others),
            "take_up_far": take_up(automatic_ab, recoloured_ab, target, far),
        })
    return results


def summarise_recolour(trials):
    """Means over recolour trials of the share of the way taken, and the share of hints that move
    the other segments more than ``MOVED_SHARE`` of the way."""
    other = np.array([t["take_up_other_segments"] for t in trials])
    other = other[np.isfinite(other)]
    return {
        "trials": len(trials),
        "take_up_segment": float(np.nanmean([t["take_up_segment"] for t in trials])),
        "take_up_other_segments": float(other.mean()) if other.size else float("nan"),
        "take_up_far": float(np.nanmean([t["take_up_far"] for t in trials])),
        "hints_moving_others": float(np.mean(other > MOVED_SHARE)) if other.size else float("nan"),
    }


def summarise_spread(trials):
    """Means over trials: the share of the inside error a hint removes, the relative change outside."""
    inside_auto = np.array([t["inside_automatic"] for t in trials])
    inside_hint = np.array([t["inside_hinted"] for t in trials])
    outside = [(t["outside_automatic"], t["outside_hinted"]) for t in trials if np.isfinite(t["outside_automatic"])]
    outside_auto, outside_hint = np.array(outside).T if outside else (np.zeros(1), np.zeros(1))
    return {
        "trials": len(trials),
        "inside_error_automatic": float(inside_auto.mean()), "inside_error_hinted": float(inside_hint.mean()),
        "inside_error_removed": float(1 - inside_hint.mean() / max(inside_auto.mean(), 1e-12)),
        "inside_error_removed_per_trial_mean": float(np.mean(1 - inside_hint / np.maximum(inside_auto, 1e-12))),
        "outside_error_automatic": float(outside_auto.mean()), "outside_error_hinted": float(outside_hint.mean()),
        "outside_error_change": float(outside_hint.mean() / max(outside_auto.mean(), 1e-12) - 1),
        "propagation_range": float(np.mean([t["propagation_range"] for t in trials])),
        "propagation_range_diagonal": float(np.mean([t["propagation_range"] / t["diagonal"] for t in trials])),
    }
