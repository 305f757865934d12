"""The hint protocol: hints drawn from the truth by a fixed, seeded protocol, and their spread
(the measures; ``colorize_cnn.reports.hint_report`` makes the report, tables and figures).

**The protocol** (Zhang, Zhu et al. 2017's evaluation, at our working size): for each photo, a
sequence of ``MAX_HINTS`` points, each drawn from a normal distribution centred on the photo with a
spread of a quarter of its side (per axis, clipped to the photo); the hint's colour is the true
colour averaged over the working-size pixel the point falls in (the patch the network sees), as
sRGB. ``n`` hints are the first ``n`` of the sequence, so more hints only add. The random stream
of a photo depends on the seed and the photo's name alone; the sequences are saved as the JSON of
``colorize_cnn.hints`` (one file per photo), and a re-run reads them back.

**Spread** (the failure users of the paper's code report: a hint that barely leaves its patch):
single-hint trials on photos with human segmentations (BSDS500). The hint falls in one segment; the
ab error (mean Euclidean distance to the true a*b*) inside that segment, and outside it (further
than ``OUTSIDE_MARGIN`` px), with the hint and without.
"""

import zlib
from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.config import WORKING_SIZE

MAX_HINTS = 50
HINT_COUNTS = (0, 1, 2, 5, 10, 20, 50)
OUTSIDE_MARGIN = 5  # px: "outside the segment" starts this far from it


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


def colorize_with_hints(colorizer, truths, sequences, count, vividness=None, working_size=WORKING_SIZE):
    """Each photo's gray (its true L) colorized at its own size with the first ``count`` hints."""
    from colorize_cnn.colorize import colorize

    return [colorize(color.rgb_to_gray(truth)[..., 0], colorizer, working_size, vividness,
                     hints=sequence[:count] if count else None)
            for truth, sequence in zip(truths, sequences)]


def values_by_hint_count(colorizer, truths, sequences, prior, counts=HINT_COUNTS, vividness=None):
    """Per-photo metrics (``evaluate.photo_metrics``) at each number of hints: ``{count: {metric: (N,)}}``."""
    from colorize_cnn.evaluate import photo_metrics

    return {count: photo_metrics(colorize_with_hints(colorizer, truths, sequences, count, vividness), truths, prior)
            for count in counts}


# --- spread ----------------------------------------------------------------------------------

def load_segmentation(path):
    """The first human segmentation of a BSDS500 ground-truth ``.mat`` file: int labels ``(H, W)``."""
    from scipy.io import loadmat

    truth = loadmat(path)["groundTruth"]
    return np.asarray(truth[0, 0]["Segmentation"][0, 0], dtype=np.int32)


def _ab_error(rgb, true_ab):
    return np.linalg.norm(color.rgb_to_lab(rgb)[..., 1:] - true_ab, axis=-1)


def spread_trials(colorizer, name, truth, segmentation, trials=3, seed=0, vividness=None,
                  working_size=WORKING_SIZE):
    """Single-hint trials on one photo: for each, the hint (the protocol's way, from its own random
    stream), and the mean ab error inside the hinted segment and outside it with the hint and
    without. Returns a list of dicts."""
    from scipy.ndimage import distance_transform_edt

    from colorize_cnn.colorize import ColorizeSession

    session = ColorizeSession(color.rgb_to_gray(truth)[..., 0], colorizer, working_size)
    true_ab = color.rgb_to_lab(truth)[..., 1:]
    automatic = _ab_error(session.render((), vividness), true_ab)
    results = []
    for trial, hint in enumerate(protocol_hints(f"{name}/spread", truth, seed, trials, working_size)):
        segment = segmentation == segmentation[int(hint.y), int(hint.x)]
        outside = distance_transform_edt(~segment) > OUTSIDE_MARGIN
        hinted = _ab_error(session.render((hint,), vividness), true_ab)
        results.append({"photo": name, "trial": trial, "segment_share": float(segment.mean()),
                        "inside_automatic": float(automatic[segment].mean()), "inside_hinted": float(hinted[segment].mean()),
                        "outside_automatic": float(automatic[outside].mean()) if outside.any() else float("nan"),
                        "outside_hinted": float(hinted[outside].mean()) if outside.any() else float("nan")})
    return results


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
    }



# --- the report: experiments/hints.py --------------------------------------------------------

# Zhang, Zhu et al. 2017, Fig. 4 (1,000 ImageNet val photos at 256 px, their 34M-parameter network):
# PSNR of their automatic result and its gain with 1, 2, 5, 10, 20 and 50 random hints.
