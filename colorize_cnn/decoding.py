"""A model's default decoding (its vividness and balance): the candidates, the rule that chooses
among them on validation images or photos (never a test split). The choice is kept in a JSON
beside the model file (``files.write_decoding``, read back by ``files.read_decoding``, where
``colorizer.load_colorizer`` starts). The choosing functions import the evaluation's dependencies
(scikit-image) when called.
"""

import numpy as np

VIVIDNESS_CANDIDATES = (0.0, 0.25, 0.5, 0.75, 1.0)
BALANCE_CANDIDATES = (0.0, 0.25, 0.5, 0.625, 0.75, 1.0)  # chosen with the vividness on validation photos
CHOICE_IMAGES = 2000  # training images on which an in-memory data set's vividness is chosen
MAX_HARMED_PERCENT = 5.0  # the default decoding may leave at most this % of images > 3 dB below gray


def vividness_scores(model, gray, rgb, candidates=VIVIDNESS_CANDIDATES):
    """Mean PSNR and colourfulness of ``model`` at each vividness on images (gray, rgb)."""
    from colorize_cnn import color, heads, metrics

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


def choose_decoding(model, dataset, seed=0, count=CHOICE_IMAGES, photos=None, working_size=None):
    """Chooses a model's default decoding on validation images, never a test split: on ``photos``
    if given (whole validation photos, float RGB arrays of any size, colorized at their own size as
    on the command line, or a stack of same-size images, colorized in batches; a list, or a dict of
    named sets), its vividness and balance together (``choose_on_photo_sets``); else its vividness
    (``pick_vividness``) on ``count`` training images of ``dataset``, at balance 0. RGB models keep
    0: the results table measures their own RGB. ``working_size``: the size the model learnt at, where
    not the default; the photos are colorized at it, and it is recorded as the model's.

    Returns:
        {"vividness": ..., "balance": ..., "chosen_on": ..., "sets": {name: {"gray_psnr", "truth_colourfulness", "scores"}}}
        and "working_size" where given.
    """
    own_size = {} if working_size is None else {"working_size": working_size}
    from colorize_cnn import color, heads, metrics
    from colorize_cnn.data import PhotoSet, decoded_training_sample

    if heads.output_kind(heads.raw_model(model)) == heads.RGB:
        return {"vividness": 0.0, "balance": 0.0,
                "chosen_on": "not chosen: the original models are measured on their own RGB", **own_size}
    if photos is not None:
        import dataclasses

        from colorize_cnn.colorizer import load_colorizer

        photo_sets = photos if isinstance(photos, dict) else {f"{len(photos)} validation photos": photos}
        colorizer = dataclasses.replace(load_colorizer(model), **own_size)
        (vividness, balance), fronts = choose_on_photo_sets(colorizer, photo_sets)
        sets = {name: {"gray_psnr": points[0]["psnr"] - points[0]["psnr_vs_gray"],
                       "truth_colourfulness": points[0]["truth_colourfulness"],
                       "scores": {f"{p['vividness']:g}/{p['balance']:g}": {key: p[key] for key in SCORE_KEYS}
                                  for p in points}} for name, points in fronts.items()}
        return {"vividness": vividness, "balance": balance, "chosen_on": " and ".join(photo_sets) +
                " (scores keyed vividness/balance)", "sets": sets, **own_size}
    rgb = decoded_training_sample(dataset, count, seed)
    gray = color.rgb_to_gray(rgb)
    scores = vividness_scores(model, gray, rgb)
    gray_psnr = float(metrics.psnr_per_image(color.gray_to_rgb(gray), rgb).mean())
    where = f"{len(rgb)} training images of {dataset.name}" + (
        " (centre crops)" if isinstance(dataset, PhotoSet) else ", class-balanced")
    return {"vividness": pick_vividness(scores, gray_psnr), "balance": 0.0, "chosen_on": where,
            "sets": {where: {"gray_psnr": gray_psnr, "scores": scores,
                             "truth_colourfulness": float(metrics.colourfulness_per_image(rgb).mean())}}, **own_size}


def values_by_vividness(colorizer, truths, prior, candidates=VIVIDNESS_CANDIDATES):
    """Per-photo metrics at each vividness (at the colorizer's balance), photos colorized at their
    own size: {v: {metric: (N,)}}."""
    from colorize_cnn import evaluate

    return {vividness: evaluate.photo_metrics(evaluate.colorize_photos(colorizer, truths, vividness), truths, prior)
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
    from colorize_cnn import evaluate

    settings = [(v, b) for b in balance for v in vividness]
    fronts = {name: [{"vividness": v, "balance": b, **evaluate.summarise(values)}
                     for (v, b), values in zip(settings, evaluate.decoding_grid(colorizer, truths, settings))]
              for name, truths in photo_sets.items()}
    points = {setting: [front[index] for front in fronts.values()] for index, setting in enumerate(settings)}
    accepted = [setting for setting in settings if all(map(acceptable, points[setting]))]
    if accepted:
        return max(accepted, key=lambda setting: min(p["colourfulness_ratio"] for p in points[setting])), fronts
    return max(settings, key=lambda setting: np.mean([p["psnr_vs_gray"] for p in points[setting]])), fronts


def frontier(values):
    """The means of ``values_by_vividness``: ``[{"vividness": v, "psnr": ..., "colourfulness_ratio": ...}, ...]``."""
    from colorize_cnn import evaluate

    return [{"vividness": vividness, **evaluate.summarise(per_photo)} for vividness, per_photo in values.items()]
