"""Evaluation: the gray baseline and every metric on held-out images and whole photos (the choice
of a default decoding: ``colorize_cnn.decoding``).

Predictions come from ``heads.predict_rgb`` (batches at the model's own size) or
``colorize.colorize`` (whole photos at their own size): the same decode either way.
"""

import os

import numpy as np

from colorize_cnn import color, heads, metrics

BASELINE = "gray baseline"


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


# --- whole photographs at their own size -----------------------------------------------------

def colorize_photos(colorizer, photos, vividness=None, working_size=None, balance=None):
    """Each photo's gray version (its true L: ``color.rgb_to_gray``) colorized at its own size by
    ``colorize.colorize``, the command line's path. A stack ``(N, H, W, 3)`` of images at the working
    size or smaller is colorized in batches instead (``heads.predict_rgb``: the same pixels, faster)."""
    from colorize_cnn.colorize import colorize

    if _is_small_stack(colorizer, photos, working_size):
        return list(heads.predict_rgb(colorizer.model, color.rgb_to_gray(photos),
                                      colorizer.vividness if vividness is None else vividness,
                                      balance=colorizer.balance if balance is None else balance))
    return [colorize(color.rgb_to_gray(photo)[..., 0], colorizer, working_size, vividness,
                     balance=balance) for photo in photos]


def _is_small_stack(colorizer, photos, working_size=None):
    return colorizer.runtime == "keras" and isinstance(photos, np.ndarray) \
        and max(photos.shape[1:3]) <= (working_size or colorizer.working_size) \
        and not any(side % colorizer.padding_multiple for side in photos.shape[1:3])


def decoding_grid(colorizer, photos, settings):
    """``photo_metrics`` (not ``every``) of ``photos`` colorized as ``colorize_photos`` does at each
    (vividness, balance) of ``settings``: a list of dicts, one per setting. Whole photos go through
    one ``colorize.ColorizeSession`` each, so the network runs once per photo, not once per setting."""
    from concurrent.futures import ThreadPoolExecutor

    from colorize_cnn.colorize import ColorizeSession

    if _is_small_stack(colorizer, photos):
        return [photo_metrics(colorize_photos(colorizer, photos, v, balance=b), photos, every=False) for v, b in settings]
    per_photo = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # numpy and skimage release the GIL
        for truth in photos:
            session = ColorizeSession(color.rgb_to_gray(truth)[..., 0], colorizer)
            per_photo.append(list(pool.map(lambda setting: metrics.per_image_metrics(
                session.render((), *setting)[None], truth[None], None, False), settings)))
    return [{name: np.concatenate([values[index][name] for values in per_photo]) for name in per_photo[0][index]}
            for index in range(len(settings))]


def photo_metrics(predicted, truths, prior=None, every=True):
    """``metrics.per_image_metrics`` for photos of different sizes: dict of name -> (N,)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # numpy and skimage release the GIL
        per_photo = list(pool.map(lambda pair: metrics.per_image_metrics(pair[0][None], pair[1][None], prior, every),
                                  zip(predicted, truths)))
    return {name: np.concatenate([values[name] for values in per_photo]) for name in per_photo[0]}


def summarise(values):
    """Means over images, the colourfulness ratio (of the means), delta-CF = |mean CF - mean truth CF|,
    and the cast and harm measures (``metrics.cast_and_harm``)."""
    summary = {name: float(np.mean(array)) for name, array in values.items()}
    summary["colourfulness_ratio"] = summary["colourfulness"] / max(summary["truth_colourfulness"], 1e-12)
    summary["delta_colourfulness"] = abs(summary["colourfulness"] - summary["truth_colourfulness"])
    summary.update(metrics.cast_and_harm(values))
    summary["images"] = len(values["psnr"])
    return summary


def near_neutral(values):
    """The photos of per-photo ``values`` whose truth is nearly gray (mean chroma below
    ``metrics.NEAR_NEUTRAL_CHROMA``): snow, stone, water, overcast sky, old prints."""
    keep = values["truth_chroma"] < metrics.NEAR_NEUTRAL_CHROMA
    return {name: array[keep] for name, array in values.items()}


def with_true_balance(predicted, truth):
    """The oracle probe of the cast: ``predicted`` (float RGB) with its mean a* and b* moved to the
    truth's, every pixel's colour otherwise unchanged (lightness kept). How much of a model's loss
    is the photo's overall colour balance."""
    lab, true_ab = color.rgb_to_lab(predicted), color.rgb_to_lab(truth)[..., 1:]
    lab[..., 1:] += true_ab.mean(axis=(0, 1)) - lab[..., 1:].mean(axis=(0, 1))
    return color.lab_to_rgb(lab)


def gray_baseline(truths, prior):
    """The gray baseline (true L, a = b = 0) of photos of any sizes, every metric."""
    return summarise(photo_metrics([color.gray_to_rgb(color.rgb_to_gray(t)) for t in truths], truths, prior))


# --- chroma upsampling, apart from any model ---------------------------------------------------

UPSAMPLING_CHROMA_SIDE = 32  # the default model's chroma grid: working size 64 at output stride 2


def edge_band(lightness, width=2):
    """Pixels within ``width`` of a lightness edge (Canny, sigma 2): where chroma bleeds show."""
    from skimage import feature, morphology

    return morphology.dilation(feature.canny(lightness, sigma=2.0), morphology.disk(width))


def upsampling_errors(truths, methods=color.UPSAMPLING_METHODS, sigmas=(color.BILATERAL_SIGMA,),
                      chroma_side=UPSAMPLING_CHROMA_SIDE):
    """How well each chroma upsampling restores photos from their own shrunk chroma.

    Each photo's true ab is shrunk (box filter) to a grid of longest side ``chroma_side``, brought
    back to full size by each method (``color.chroma_upsampler``; "joint_bilateral" at each of
    ``sigmas``) and joined to the true lightness. So no model is involved: what is lost is the
    upsampling's. Returns ``{setting: {"psnr", "chroma_error", "edge_chroma_error": (N,) arrays}}``
    with the gray baseline first; chroma errors are mean Euclidean ab distances to the truth, over
    the whole photo and over ``edge_band`` (colour bleeding across edges).
    """
    settings = [(method, sigma) for method in methods for sigma in (sigmas if method == "joint_bilateral" else (None,))]
    names = [method if sigma is None or len(sigmas) == 1 else f"{method} (sigma {sigma:g})" for method, sigma in settings]
    values = {name: {"psnr": [], "chroma_error": [], "edge_chroma_error": []} for name in [BASELINE, *names]}

    def record(name, rgb, ab, truth, true_ab, edges):
        error = np.linalg.norm(ab - true_ab, axis=-1)
        values[name]["psnr"].append(float(metrics.psnr_per_image(rgb[None], truth[None])[0]))
        values[name]["chroma_error"].append(float(error.mean()))
        values[name]["edge_chroma_error"].append(float(error[edges].mean()))

    for truth in truths:
        lab = color.rgb_to_lab(truth)
        lightness, true_ab = lab[..., 0], lab[..., 1:]
        edges = edge_band(lightness)
        record(BASELINE, color.gray_to_rgb(color.rgb_to_gray(truth)), np.zeros_like(true_ab), truth, true_ab, edges)
        for name, (method, sigma) in zip(names, settings):
            rgb, ab = restored_from_shrunk_chroma(lab, method, sigma, chroma_side)
            record(name, rgb, ab, truth, true_ab, edges)
    return {name: {key: np.asarray(series) for key, series in measures.items()} for name, measures in values.items()}


def restored_from_shrunk_chroma(lab, method, sigma=None, chroma_side=UPSAMPLING_CHROMA_SIDE):
    """A photo's true chroma (``lab``: float32 ``(H, W, 3)``) shrunk to ``chroma_side`` and brought back
    by ``method``, joined to its true lightness: (RGB in [0, 1], the restored ab)."""
    lightness, true_ab = lab[..., 0], lab[..., 1:]
    height, width = lightness.shape
    scale = min(1.0, chroma_side / max(height, width))
    small_shape = max(1, round(height * scale)), max(1, round(width * scale))
    small_ab = np.stack([color.resize_plane(true_ab[..., channel], *small_shape) for channel in (0, 1)], axis=-1)
    kwargs = {} if sigma is None else {"sigma": sigma}
    ab = np.stack(color.chroma_upsampler(lightness, small_ab, method, **kwargs)(0, height), axis=-1)
    return color.lab_to_rgb(np.concatenate([lightness[..., None], ab], axis=-1)), ab
