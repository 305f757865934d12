"""Colorization metrics of ``docs/evaluation.md``: pure functions on arrays.

Inputs are sRGB float arrays in [0, 1] of shape ``(N, H, W, 3)`` unless said otherwise. Each
``*_per_image`` function returns float64 ``(N,)``; ``evaluate`` averages them over images, over
all images and per class.
"""

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from colorize_cnn.color import NUM_AB_BINS, ab_to_bin, lab_to_rgb, rgb_to_lab

PSNR_CAP_DB = 100.0
AUC_MAX_THRESHOLD = 150
ACC2_TOLERANCES = (2.0, 4.4, 4.4)  # |dL| <= 1*2, |da| <= 2.2*2, |db| <= 2.2*2 (Nazeri et al. 2018)
HARM_THRESHOLDS_DB = (1.0, 3.0)  # a photo is harmed when its PSNR is this far below the gray baseline's
WORST_SHARE = 0.1  # the worst 10% of photos, by PSNR relative to gray
NEAR_NEUTRAL_CHROMA = 10.0  # a photo whose true mean chroma is below this is nearly gray (snow, stone, fog)


def psnr_per_image(predicted_rgb, true_rgb):
    """PSNR in dB, 10 log10(1 / MSE) over all channels of each image.

    Identical images have infinite PSNR; it is capped at ``PSNR_CAP_DB`` (100 dB) so means stay finite.
    """
    with np.errstate(divide="ignore"):
        values = [
            peak_signal_noise_ratio(t.astype(np.float64), p.astype(np.float64), data_range=1.0)
            for p, t in zip(predicted_rgb, true_rgb)
        ]
    return np.minimum(np.asarray(values, dtype=np.float64), PSNR_CAP_DB)


def ssim_per_image(predicted_rgb, true_rgb):
    """Structural similarity (skimage defaults: 7x7 window, channel_axis=-1, data_range=1), in [-1, 1]."""
    return np.asarray(
        [
            structural_similarity(t.astype(np.float64), p.astype(np.float64), channel_axis=-1, data_range=1.0)
            for p, t in zip(predicted_rgb, true_rgb)
        ],
        dtype=np.float64,
    )


def prior_weights(prior):
    """1 / p(bin) for the rebalanced AuC; bins never seen in training get the rarest seen bin's weight."""
    prior = np.asarray(prior, dtype=np.float64)
    if prior.shape != (NUM_AB_BINS,):
        raise ValueError(f"prior must have shape ({NUM_AB_BINS},). Received: shape={prior.shape}")
    seen = prior > 0
    weights = np.zeros_like(prior)
    weights[seen] = 1.0 / prior[seen]
    weights[~seen] = weights[seen].max() if seen.any() else 1.0
    return weights


def auc_per_image(predicted_ab, true_ab, prior=None):
    """Area under the cumulative ab-error curve (Zhang et al. 2016), in percent.

    Args:
        predicted_ab, true_ab: ``(N, H, W, 2)`` CIELAB a, b.
        prior: ``(NUM_AB_BINS,)`` training-set bin frequencies; if given, each pixel is weighted
            by 1 / p(bin of its true ab) (the rebalanced AuC).
    Returns:
        float64 ``(N,)``: the mean of Acc(t) over thresholds t = 0, 1, ..., 150 (step 1), where
        Acc(t) is the (weighted) fraction of pixels with Euclidean ab error <= t.
    """
    predicted_ab = np.asarray(predicted_ab, dtype=np.float64)
    true_ab = np.asarray(true_ab, dtype=np.float64)
    count = len(true_ab)
    errors = np.linalg.norm(predicted_ab - true_ab, axis=-1).reshape(count, -1)
    if prior is None:
        weights = np.ones_like(errors)
    else:
        weights = prior_weights(prior)[ab_to_bin(true_ab).reshape(count, -1)]
    levels = AUC_MAX_THRESHOLD + 2  # thresholds 0..150, plus one slot for errors above 150
    first_threshold = np.minimum(np.ceil(errors - 1e-9).clip(min=0), levels - 1).astype(np.int64)
    slots = (np.arange(count)[:, None] * levels + first_threshold).ravel()
    histogram = np.bincount(slots, weights=weights.ravel(), minlength=count * levels).reshape(count, levels)
    accuracy = np.cumsum(histogram, axis=1)[:, : AUC_MAX_THRESHOLD + 1] / weights.sum(axis=1, keepdims=True)
    return 100.0 * accuracy.mean(axis=1)


def acc2_per_image(predicted_lab, true_lab):
    """Acc@2% (Nazeri et al. 2018), in percent: pixels with |dL| <= 2, |da| <= 4.4 and |db| <= 4.4."""
    difference = np.abs(np.asarray(predicted_lab, np.float64) - np.asarray(true_lab, np.float64))
    right = np.all(difference <= np.asarray(ACC2_TOLERANCES), axis=-1)
    return 100.0 * right.reshape(len(right), -1).mean(axis=1)


def colourfulness_per_image(rgb):
    """Colourfulness of Hasler & Suesstrunk 2003 on 0-255 sRGB, with signed rg and yb.

    rg = R - G, yb = (R + G) / 2 - B; CF = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2).
    A gray image scores 0.
    """
    rgb = 255.0 * np.asarray(rgb, dtype=np.float64)
    count = len(rgb)
    red, green, blue = (rgb[..., channel].reshape(count, -1) for channel in range(3))
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = np.sqrt(rg.std(axis=1) ** 2 + yb.std(axis=1) ** 2)
    offset = np.sqrt(rg.mean(axis=1) ** 2 + yb.mean(axis=1) ** 2)
    return spread + 0.3 * offset


METRIC_NAMES = ("psnr", "ssim", "auc", "auc_rebalanced", "acc2", "colourfulness", "colourfulness_ratio")


def per_image_metrics(predicted_rgb, true_rgb, prior=None, every=True):
    """Every metric for every image: dict of name -> float64 ``(N,)``; besides ``METRIC_NAMES``, what
    ``cast_and_harm`` needs: ``truth_colourfulness``, the mean a* and b* of the prediction and of the
    truth, the truth's mean chroma and the gray baseline's PSNR on the same image. ``every=False``:
    PSNR, colourfulness and those only (what choosing a decoding needs: no SSIM, AuC or acc2)."""
    predicted_lab = rgb_to_lab(predicted_rgb)
    true_lab = rgb_to_lab(true_rgb)
    gray_lab = np.concatenate([true_lab[..., :1], np.zeros_like(true_lab[..., 1:])], axis=-1)
    predicted_ab = predicted_lab[..., 1:].reshape(len(predicted_lab), -1, 2).astype(np.float64)
    true_ab = true_lab[..., 1:].reshape(len(true_lab), -1, 2).astype(np.float64)
    values = {
        "mean_a": predicted_ab[..., 0].mean(axis=1),
        "mean_b": predicted_ab[..., 1].mean(axis=1),
        "truth_mean_a": true_ab[..., 0].mean(axis=1),
        "truth_mean_b": true_ab[..., 1].mean(axis=1),
        "truth_chroma": np.linalg.norm(true_ab, axis=-1).mean(axis=1),
        "gray_psnr": psnr_per_image(lab_to_rgb(gray_lab), true_rgb),
        "psnr": psnr_per_image(predicted_rgb, true_rgb),
        "colourfulness": colourfulness_per_image(predicted_rgb),
        "truth_colourfulness": colourfulness_per_image(true_rgb),
    }
    if every:
        values.update({
            "ssim": ssim_per_image(predicted_rgb, true_rgb),
            "auc": auc_per_image(predicted_lab[..., 1:], true_lab[..., 1:]),
            "auc_rebalanced": auc_per_image(predicted_lab[..., 1:], true_lab[..., 1:], prior),
            "acc2": acc2_per_image(predicted_lab, true_lab),
        })
    return values


def cast_and_harm(values):
    """What a mean over photos hides (docs/evaluation.md, "Cast and harm"), from ``per_image_metrics``.

    Returns a dict: ``cast_a``/``cast_b``: mean over photos of (mean a* (b*) of the output - that of
    the truth), signed (+b* a yellow cast, +a* a red one); ``abs_cast_a``/``abs_cast_b``: the mean of
    their absolute values; ``psnr_vs_gray``: mean PSNR - gray PSNR per photo; ``below_gray_1db``,
    ``below_gray_3db``: % of photos more than 1 (3) dB below the gray baseline's PSNR;
    ``worst_10_vs_gray``: the mean PSNR difference to gray of the worst 10% of photos (at least one).
    """
    delta_a = values["mean_a"] - values["truth_mean_a"]
    delta_b = values["mean_b"] - values["truth_mean_b"]
    gain = np.asarray(values["psnr"] - values["gray_psnr"], dtype=np.float64)
    worst = np.sort(gain)[: max(1, int(round(WORST_SHARE * len(gain))))]
    return {
        "cast_a": float(delta_a.mean()), "cast_b": float(delta_b.mean()),
        "abs_cast_a": float(np.abs(delta_a).mean()), "abs_cast_b": float(np.abs(delta_b).mean()),
        "psnr_vs_gray": float(gain.mean()),
        **{f"below_gray_{threshold:g}db": float(100 * np.mean(gain < -threshold)) for threshold in HARM_THRESHOLDS_DB},
        "worst_10_vs_gray": float(worst.mean()),
    }


def _summarise(values):
    summary = {name: float(values[name].mean()) for name in METRIC_NAMES if name in values}
    summary["truth_colourfulness"] = float(values["truth_colourfulness"].mean())
    summary["colourfulness_ratio"] = summary["colourfulness"] / max(summary["truth_colourfulness"], 1e-12)
    return summary


def evaluate(predicted_rgb, true_rgb, labels, class_names, prior):
    """Mean of every metric over all images and per class.

    Returns:
        ``{"mean": {metric: value}, "per_class": {class_name: {metric: value}}}``; the
        colourfulness ratio is mean predicted CF over mean true CF.
    """
    values = per_image_metrics(predicted_rgb, true_rgb, prior)
    labels = np.asarray(labels)
    per_class = {}
    for index, class_name in enumerate(class_names):
        mask = labels == index
        if mask.any():
            per_class[class_name] = _summarise({name: array[mask] for name, array in values.items()})
    return {"mean": _summarise(values), "per_class": per_class}
