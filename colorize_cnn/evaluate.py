"""Evaluation: the gray baseline, every metric on held-out images, and the choice of vividness.

Predictions come from ``heads.predict_rgb`` (batches at the model's own size) or
``colorize.colorize`` (whole photos at their own size): the same decode either way.
"""

import json
import os

import numpy as np

from colorize_cnn import color, heads, metrics
from colorize_cnn.files import atomic_output, decoding_path

BASELINE = "gray baseline"
VIVIDNESS_CANDIDATES = (0.0, 0.25, 0.5, 0.75, 1.0)
BALANCE_CANDIDATES = (0.0, 0.25, 0.5, 0.625, 0.75, 1.0)  # chosen with the vividness on validation photos
CHOICE_IMAGES = 2000  # training images on which an in-memory data set's vividness is chosen
MAX_HARMED_PERCENT = 5.0  # the default decoding may leave at most this % of images > 3 dB below gray


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
    gray_psnr = metrics.psnr_per_image(color.gray_to_rgb(gray), rgb)
    for vividness in candidates:
        predicted = heads.predict_rgb(model, gray, vividness)
        psnr = metrics.psnr_per_image(predicted, rgb)
        scores[str(vividness)] = {
            "psnr": float(psnr.mean()),
            "colourfulness": float(metrics.colourfulness_per_image(predicted).mean()),
            "below_gray_3db": float(100 * np.mean(psnr < gray_psnr - 3.0)),
        }
    return scores


def pick_vividness(scores, gray_psnr):
    """The most vivid setting whose mean PSNR is at least the gray baseline's and which leaves at
    most ``MAX_HARMED_PERCENT`` of the images more than 3 dB below gray (a mean hides the photos a
    colorizer ruins); if none qualifies, the setting with the best PSNR."""
    safe = [float(v) for v, score in scores.items()
            if score["psnr"] >= gray_psnr and score.get("below_gray_3db", 0.0) <= MAX_HARMED_PERCENT]
    return max(safe) if safe else float(max(scores, key=lambda v: scores[v]["psnr"]))


def pick_vividness_on_sets(fronts):
    """``fronts``: {set name: ``frontier`` points}. The most vivid setting that ``pick_vividness``
    accepts on every set: the least of the sets' own choices."""
    return min(pick_vividness({str(point["vividness"]): point for point in points},
                              points[0]["psnr"] - points[0]["psnr_vs_gray"]) for points in fronts.values())


def choose_decoding(model, dataset, seed=0, count=CHOICE_IMAGES, photos=None):
    """Chooses a model's default decoding on validation images, never a test split: on ``photos``
    if given (whole validation photos, float RGB arrays of any size, colorized at their own size as
    on the command line, or a stack of same-size images, colorized in batches; a list, or a dict of
    named sets), its vividness and balance together (``choose_on_photo_sets``); else its vividness
    (``pick_vividness``) on ``count`` training images of ``dataset``, at balance 0. RGB models keep
    0: the results table measures their own RGB.

    Returns:
        {"vividness": ..., "balance": ..., "chosen_on": ..., "sets": {name: {"gray_psnr", "truth_colourfulness", "scores"}}}
    """
    from colorize_cnn.data import PhotoSet, decoded_training_sample

    if heads.output_kind(heads.raw_model(model)) == heads.RGB:
        return {"vividness": 0.0, "balance": 0.0,
                "chosen_on": "not chosen: the original models are measured on their own RGB"}
    if photos is not None:
        from colorize_cnn.colorizer import load_colorizer

        photo_sets = photos if isinstance(photos, dict) else {f"{len(photos)} validation photos": photos}
        (vividness, balance), fronts = choose_on_photo_sets(load_colorizer(model), photo_sets)
        sets = {name: {"gray_psnr": points[0]["psnr"] - points[0]["psnr_vs_gray"],
                       "truth_colourfulness": points[0]["truth_colourfulness"],
                       "scores": {f"{p['vividness']:g}/{p['balance']:g}": {key: p[key] for key in SCORE_KEYS}
                                  for p in points}} for name, points in fronts.items()}
        return {"vividness": vividness, "balance": balance, "chosen_on": " and ".join(photo_sets) +
                " (scores keyed vividness/balance)", "sets": sets}
    rgb = decoded_training_sample(dataset, count, seed)
    gray = color.rgb_to_gray(rgb)
    scores = vividness_scores(model, gray, rgb)
    gray_psnr = float(metrics.psnr_per_image(color.gray_to_rgb(gray), rgb).mean())
    where = f"{len(rgb)} training images of {dataset.name}" + (
        " (centre crops)" if isinstance(dataset, PhotoSet) else ", class-balanced")
    return {"vividness": pick_vividness(scores, gray_psnr), "balance": 0.0, "chosen_on": where,
            "sets": {where: {"gray_psnr": gray_psnr, "scores": scores,
                             "truth_colourfulness": float(metrics.colourfulness_per_image(rgb).mean())}}}


def write_decoding(decoding, model_path):
    """Records a model's chosen decoding beside its ``.keras`` file (``files.decoding_path``)."""
    with atomic_output(decoding_path(model_path)) as temporary:
        temporary.write_text(json.dumps(decoding, indent=2) + "\n")


# --- whole photographs at their own size -----------------------------------------------------

def load_photos(folder, limit=None, names=None):
    """The colour photos in ``folder`` (sorted by name; only ``names`` if given) as
    ``(names, float32 RGB arrays in [0, 1])``."""
    from pathlib import Path

    from PIL import Image

    from colorize_cnn.data import DataSourceError
    from colorize_cnn.images import INPUT_SUFFIXES, is_image_file

    folder = Path(folder)
    if not folder.is_dir():
        raise DataSourceError(f"photo folder {folder} does not exist; pass the folder of colour photos to evaluate on.")
    paths = sorted(p for p in folder.iterdir() if is_image_file(p) and (names is None or p.name in names))[:limit]
    if not paths:
        raise DataSourceError(f"{folder} holds no photos ({', '.join(INPUT_SUFFIXES)}).")
    photos = []
    for path in paths:
        try:
            with Image.open(path) as image:
                photos.append(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
        except (OSError, SyntaxError, ValueError) as error:
            raise DataSourceError(f"cannot read photo {path} ({type(error).__name__}: {error}); remove or replace "
                                  "it: the evaluation's photo set must be whole.") from None
    return [path.name for path in paths], photos


def colorize_photos(colorizer, photos, vividness=None, working_size=None, balance=None):
    """Each photo's gray version (its true L: ``color.rgb_to_gray``) colorized at its own size by
    ``colorize.colorize``, the command line's path. A stack ``(N, H, W, 3)`` of images at the working
    size or smaller is colorized in batches instead (``heads.predict_rgb``: the same pixels, faster)."""
    from colorize_cnn.colorize import colorize
    from colorize_cnn.config import WORKING_SIZE

    if _is_small_stack(colorizer, photos, working_size):
        return list(heads.predict_rgb(colorizer.model, color.rgb_to_gray(photos),
                                      colorizer.vividness if vividness is None else vividness,
                                      balance=colorizer.balance if balance is None else balance))
    return [colorize(color.rgb_to_gray(photo)[..., 0], colorizer, working_size or WORKING_SIZE, vividness,
                     balance=balance) for photo in photos]


def _is_small_stack(colorizer, photos, working_size=None):
    from colorize_cnn.config import WORKING_SIZE

    return colorizer.runtime == "keras" and isinstance(photos, np.ndarray) \
        and max(photos.shape[1:3]) <= (working_size or WORKING_SIZE) \
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


def values_by_vividness(colorizer, truths, prior, candidates=VIVIDNESS_CANDIDATES):
    """Per-photo metrics at each vividness (at the colorizer's balance), photos colorized at their
    own size: {v: {metric: (N,)}}."""
    return {vividness: photo_metrics(colorize_photos(colorizer, truths, vividness), truths, prior)
            for vividness in candidates}


SCORE_KEYS = ("psnr", "psnr_vs_gray", "colourfulness", "colourfulness_ratio", "below_gray_3db", "cast_a", "cast_b")


def acceptable(point):
    """The rule for a default decoding: mean PSNR at least the gray baseline's, and at most
    ``MAX_HARMED_PERCENT`` of the images more than 3 dB below gray (a mean hides the photos a
    colorizer ruins)."""
    return point["psnr_vs_gray"] >= 0.0 and point["below_gray_3db"] <= MAX_HARMED_PERCENT


def choose_on_photo_sets(colorizer, photo_sets, vividness=VIVIDNESS_CANDIDATES, balance=BALANCE_CANDIDATES):
    """The most colourful decoding that ``acceptable`` holds for on every set of ``photo_sets``
    ({name: photos, as ``colorize_photos`` takes them}), among the settings vividness x balance;
    "most colourful" is the highest colourfulness ratio on the set where it is lowest. If no setting
    is acceptable everywhere: the one with the best mean over the sets of PSNR above gray, so that
    every validation set has its say (not only the first), each weighed alike.

    Every set is scored at every setting (``decoding_grid``).

    Returns:
        ((vividness, balance), {set name: [{"vividness", "balance", **evaluate.summarise}, ...]})
    """
    settings = [(v, b) for b in balance for v in vividness]
    fronts = {name: [{"vividness": v, "balance": b, **summarise(values)}
                     for (v, b), values in zip(settings, decoding_grid(colorizer, truths, settings))]
              for name, truths in photo_sets.items()}
    points = {setting: [front[index] for front in fronts.values()] for index, setting in enumerate(settings)}
    accepted = [setting for setting in settings if all(map(acceptable, points[setting]))]
    if accepted:
        return max(accepted, key=lambda setting: min(p["colourfulness_ratio"] for p in points[setting])), fronts
    return max(settings, key=lambda setting: np.mean([p["psnr_vs_gray"] for p in points[setting]])), fronts


def frontier(values):
    """The means of ``values_by_vividness``: ``[{"vividness": v, "psnr": ..., "colourfulness_ratio": ...}, ...]``."""
    return [{"vividness": vividness, **summarise(per_photo)} for vividness, per_photo in values.items()]


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
