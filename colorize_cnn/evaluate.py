"""Evaluation: the gray baseline, every metric on held-out images, and the choice of vividness.

Predictions come from ``heads.predict_rgb`` (batches at the model's own size) or
``colorize.colorize`` (whole photos at their own size): the same decode either way.
"""

import json

import numpy as np

from colorize_cnn import color, heads, metrics
from colorize_cnn.files import atomic_output, decoding_path

BASELINE = "gray baseline"
VIVIDNESS_CANDIDATES = (0.0, 0.25, 0.5, 0.75, 1.0)
CHOICE_IMAGES = 2000  # training images on which an in-memory data set's vividness is chosen


def evaluate_predictions(predictions, dataset, prior=None):
    """name -> RGB predictions on ``dataset.test`` => name -> ``metrics.evaluate`` result, baseline first.

    ``prior``: the training set's ab-bin frequencies for the rebalanced AuC (computed if not given).
    """
    from colorize_cnn.data import training_ab_prior

    prior = training_ab_prior(dataset) if prior is None else prior
    every = {BASELINE: color.gray_to_rgb(dataset.test.gray), **predictions}
    return {
        name: metrics.evaluate(rgb, dataset.test.rgb, dataset.test.labels, dataset.class_names, prior)
        for name, rgb in every.items()
    }


def vividness_scores(model, gray, rgb, candidates=VIVIDNESS_CANDIDATES):
    """Mean PSNR and colourfulness of ``model`` at each vividness on images (gray, rgb)."""
    scores = {}
    for vividness in candidates:
        predicted = heads.predict_rgb(model, gray, vividness)
        scores[str(vividness)] = {
            "psnr": float(metrics.psnr_per_image(predicted, rgb).mean()),
            "colourfulness": float(metrics.colourfulness_per_image(predicted).mean()),
        }
    return scores


def pick_vividness(scores, gray_psnr):
    """The most vivid setting whose mean PSNR is at least the gray baseline's; if none reaches it,
    the setting with the best PSNR."""
    above_gray = [float(v) for v, score in scores.items() if score["psnr"] >= gray_psnr]
    return max(above_gray) if above_gray else float(max(scores, key=lambda v: scores[v]["psnr"]))


def choose_vividness(model, dataset, seed=0, count=CHOICE_IMAGES):
    """Chooses a model's default vividness on ``count`` class-balanced **training** images (never
    the test split): ``pick_vividness``. RGB models keep 0 (their table measures their own RGB).

    Returns:
        {"vividness": ..., "chosen_on": ..., "gray_psnr": ..., "truth_colourfulness": ..., "scores": {...}}
    """
    from colorize_cnn.data import PhotoSet, balanced_subset, photo_batches

    if heads.output_kind(model) == heads.RGB:
        return {"vividness": 0.0, "chosen_on": "not chosen: the original models are measured on their own RGB"}
    if isinstance(dataset, PhotoSet):
        chosen = np.random.default_rng(seed).permutation(len(dataset.train_images))[:count]
        rgb = next(iter(photo_batches([dataset.train_images[i] for i in sorted(chosen)], dataset.crop_size,
                                      batch_size=len(chosen)))).numpy()
        gray, where = color.rgb_to_gray(rgb), f"{len(rgb)} training images of {dataset.name} (centre crops)"
    else:
        chosen = balanced_subset(dataset.train.labels, min(count, len(dataset.train)), seed)
        gray, rgb = dataset.train.gray[chosen], dataset.train.rgb[chosen]
        where = f"{len(chosen)} class-balanced training images of {dataset.name}"
    gray_psnr = float(metrics.psnr_per_image(color.gray_to_rgb(gray), rgb).mean())
    scores = vividness_scores(model, gray, rgb)
    return {
        "vividness": pick_vividness(scores, gray_psnr),
        "chosen_on": where,
        "gray_psnr": gray_psnr,
        "truth_colourfulness": float(metrics.colourfulness_per_image(rgb).mean()),
        "scores": scores,
    }


def write_decoding(decoding, model_path):
    """Records a model's chosen decoding beside its ``.keras`` file (``files.decoding_path``)."""
    with atomic_output(decoding_path(model_path)) as temporary:
        temporary.write_text(json.dumps(decoding, indent=2) + "\n")
