"""Can a photo's overall colour be read off the network? A probe for a per-photo balance head.

The oracle of the photo report says that most of what the photo model loses to "leave it gray" is
each photo's overall colour (its mean a* and b*). A head that predicts it would sit on the
network's features. This probe asks whether those features hold it: for each image it takes, at
the working size, the global means of the bottleneck's features, of the predicted ab-bin
distribution (the image's predicted palette) and of the regression head's ab, and fits a linear
read-out (ridge regression) of the truth's mean ab on training images; then compares, on
held-out images and validation photos, the read-out's error against the network's own mean
(what the decoder uses now) and against gray world (mean ab 0). The same read-out of the
truth's colourfulness (log of its mean chroma) says whether the network knows which photos are
nearly gray.
"""

import numpy as np

from colorize_cnn import color

BOTTLENECK_LAYER = "bottom_relu2"  # the U-Net's deepest features (models._unet_features)


def photo_features(colorizer, photos, batch_size=256):
    """Per image: the network's global means (bottleneck, ab-bin distribution, regression ab) at
    the working size, and the truth's mean ab and mean chroma. ``photos``: float RGB images (a
    stack of same-size images goes through the network in batches).

    Returns:
        (features ``(N, F)``, the regression head's mean ab ``(N, 2)``, true mean ab ``(N, 2)``,
        true mean chroma ``(N,)``)
    """
    import keras

    model = colorizer.model
    probe = keras.Model(model.input, {"bottleneck": model.get_layer(BOTTLENECK_LAYER).output, **model.output})
    same_size = isinstance(photos, np.ndarray)
    step = batch_size if same_size else 1
    features, own, truth_ab, truth_chroma = [], [], [], []
    for start in range(0, len(photos), step):
        truths = photos[start:start + step]
        grays = [color.rgb_to_gray(truth)[..., 0] for truth in truths]
        shape = colorizer.working_shape(*grays[0].shape)
        batch = np.concatenate([colorizer.network_input(gray) for gray in grays])
        outputs = {name: np.asarray(value) for name, value in probe(batch, training=False).items()}
        rows, columns = -(-shape[0] // colorizer.stride), -(-shape[1] // colorizer.stride)
        head_means = [outputs[name][:, :rows, :columns].mean(axis=(1, 2)) for name in ("ab_bins", "ab")]
        features.append(np.concatenate([outputs["bottleneck"].mean(axis=(1, 2)), *head_means], axis=1))
        own.append(head_means[1])
        ab = np.stack([color.rgb_to_lab(truth)[..., 1:] for truth in truths]) if same_size else \
            color.rgb_to_lab(truths[0])[None, ..., 1:]
        truth_ab.append(ab.mean(axis=(1, 2)))
        truth_chroma.append(np.linalg.norm(ab, axis=-1).mean(axis=(1, 2)))
    return tuple(np.concatenate(values).astype(np.float64) for values in (features, own, truth_ab, truth_chroma))


def fit_ridge(features, targets, alpha, weights=None):
    """A linear read-out of ``targets`` from standardized ``features`` with an L2 penalty ``alpha``
    (the intercept unpenalized), fitted by least squares; returns the predicting function."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    weights = np.ones(len(features)) if weights is None else np.asarray(weights, dtype=np.float64)
    design = np.c_[(features - mean) / scale, np.ones(len(features))] * np.sqrt(weights)[:, None]
    penalty = np.sqrt(alpha) * np.eye(design.shape[1])[:-1]
    targets = np.asarray(targets, dtype=np.float64).reshape(len(features), -1)
    stacked = np.r_[targets * np.sqrt(weights)[:, None], np.zeros((len(penalty), targets.shape[1]))]
    solution = np.linalg.lstsq(np.r_[design, penalty], stacked, rcond=None)[0]
    return lambda new: np.c_[(new - mean) / scale, np.ones(len(new))] @ solution


def rms_error(predicted_ab, true_ab):
    """Root mean square over images of the ab distance between predicted and true mean ab."""
    return float(np.sqrt(((predicted_ab - true_ab) ** 2).sum(axis=1).mean()))


def r_squared(predicted, truth):
    """1 - mean squared error / variance of the truth (NaN for a single image: no variance)."""
    predicted, truth = np.ravel(predicted), np.ravel(truth)
    return float(1.0 - ((predicted - truth) ** 2).mean() / truth.var()) if truth.var() > 0 else float("nan")


def main(argv=None, alphas=(10.0, 100.0, 1000.0), bsds_weight=20.0, images=20000):
    import argparse
    from pathlib import Path

    from colorize_cnn.errors import report_errors
    from colorize_cnn.files import README_ASSETS

    parser = argparse.ArgumentParser(description="Can each photo's overall colour (mean a*, b*) be read off the "
                                     "photo model's features? A linear read-out against the network's own mean.")
    parser.add_argument("--tiny-imagenet", type=Path, required=True, metavar="PATH",
                        help="the tiny-imagenet-200.zip the model trained on (its training images are left out)")
    parser.add_argument("--held-out-from", type=Path, required=True, metavar="PATH",
                        help="the full tiny-imagenet-200.zip: its other training images are fitted and checked on")
    parser.add_argument("--bsds500", type=Path, required=True, metavar="PATH", help="BSDS500 folder (train/, val/)")
    parser.add_argument("--model", default="unet_photo", help="default: %(default)s")
    parser.add_argument("--images", type=int, default=images, help="held-out Tiny ImageNet images, three quarters "
                        "fitted on and a quarter checked on (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=README_ASSETS, help="default: %(default)s")
    args = parser.parse_args(argv)
    with report_errors() as status:
        probe_report(args.model, args.tiny_imagenet, args.held_out_from, args.bsds500, args.images, args.out,
                     alphas, bsds_weight)
    return status.code


def probe_report(model, trained_on, full, bsds500, images, out_dir, alphas, bsds_weight):
    """Fits the read-outs and writes ``balance-probe.md`` and ``.json`` to ``out_dir``; returns the rows."""
    from pathlib import Path

    from colorize_cnn.colorizer import load_colorizer
    from colorize_cnn.reports.tables import markdown_table, write_text
    from colorize_cnn.data import decoded_training_sample, load_dataset
    from colorize_cnn.data import load_photos
    from colorize_cnn.files import write_json

    colorizer = load_colorizer(model, runtime="keras")  # the probe reads its bottleneck
    held_out = decoded_training_sample(load_dataset("tiny_imagenet", full), images,
                                       exclude=load_dataset("tiny_imagenet", trained_on))
    fit_count = len(held_out) * 3 // 4
    data = {"tiny_fit": photo_features(colorizer, held_out[:fit_count]),
            "tiny_check": photo_features(colorizer, held_out[fit_count:])}
    for split in ("train", "val"):
        data[f"bsds_{split}"] = photo_features(colorizer, load_photos(Path(bsds500) / split)[1])
    names = {"tiny_check": f"Tiny ImageNet held out ({len(held_out) - fit_count})",
             "bsds_val": f"BSDS500 val ({len(data['bsds_val'][0])})",
             "bsds_train": f"BSDS500 train ({len(data['bsds_train'][0])})"}
    rows = [{"read-out": "gray world (mean ab 0)", **{names[key]: rms_error(0 * data[key][2], data[key][2])
                                                     for key in names}},
            {"read-out": "the network's own mean (the decoder now)", **{names[key]: rms_error(data[key][1], data[key][2])
                                                                       for key in names}}]
    chroma_rows = []
    for label, keys, weights in ((f"Tiny ImageNet held out ({fit_count})", ("tiny_fit",), (1.0,)),
                                 (f"the same + BSDS500 train x{bsds_weight:g}", ("tiny_fit", "bsds_train"),
                                  (1.0, bsds_weight))):
        features = np.concatenate([data[key][0] for key in keys])
        weight = np.concatenate([np.full(len(data[key][0]), w) for key, w in zip(keys, weights)])
        for alpha in alphas:
            balance = fit_ridge(features, np.concatenate([data[key][2] for key in keys]), alpha, weight)
            rows.append({"read-out": f"ridge on {label}, alpha {alpha:g}",
                         **{names[key]: (rms_error(balance(data[key][0]), data[key][2]) if key not in keys else None)
                            for key in names}})
            chroma = fit_ridge(features, np.log1p(np.concatenate([data[key][3] for key in keys])), alpha, weight)
            chroma_rows.append({"read-out": f"ridge on {label}, alpha {alpha:g}",
                                **{names[key]: (r_squared(chroma(data[key][0]), np.log1p(data[key][3]))
                                                if key not in keys else None) for key in names}})
    text = ("Produced by experiments/balance_probe.py. Error of each image's predicted overall colour: root mean "
            "square over images of the ab distance between the predicted and the true mean a*, b* (lower is "
            "better; blank where the read-out was fitted on that set). Features: global means of the bottleneck, "
            "of the ab-bin distribution and of the regression head, at the working size.\n\n"
            + markdown_table([{key: ("" if value is None else value) for key, value in row.items()} for row in rows])
            + "\nThe same read-out of the truth's colourfulness (log of 1 + its mean chroma): R squared (1 is "
            "perfect, 0 no better than the mean, below 0 worse):\n\n"
            + markdown_table([{key: ("" if value is None else value) for key, value in row.items()} for row in chroma_rows]))
    write_text(text, Path(out_dir) / "balance-probe.md")
    write_json({"model": colorizer.name, "mean_ab_error": rows, "chroma_r_squared": chroma_rows},
               Path(out_dir) / "balance-probe.json")
    print(text)
    return rows
