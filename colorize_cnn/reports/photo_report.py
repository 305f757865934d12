"""Colour on real photographs: the photo figure, and the photo evaluation of every model.

Whole photos go through ``colorize`` at their own size, as on the command line; Tiny ImageNet val
(64 x 64, the working size) goes through ``heads.predict_rgb`` in batches, which is the same path
(``tests/test_heads.py`` checks that both give the same pixels).
"""

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from colorize_cnn.reports.tables import CAST_AND_HARM, SUMMARY, columns

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def load_photo(name):
    """A colour photograph from ``skimage.data`` as uint8 ``(H, W, 3)``."""
    from skimage import data

    return getattr(data, name)()[..., :3]


def photo_demo(models, out_path, photos=PHOTOS, extra_photos=()):
    """Colorizes each photo's gray version with each model and writes gray | model... | original.

    Args:
        models: dict of column title -> a ``Colorizer`` or anything ``colorize`` takes as ``model``.
        photos: names of ``skimage.data`` photos.
        extra_photos: more ``(name, uint8 RGB array)`` pairs (e.g. BSDS500 test photos).
    Returns:
        list of dicts per photo and model: size, lightness error, colourfulness of the result and truth.
    """
    from colorize_cnn import color, figures, metrics
    from colorize_cnn.colorize import colorize
    from colorize_cnn.colorizer import load_colorizer

    colorizers = {title: load_colorizer(model) for title, model in models.items()}
    grays, columns, measures = [], {title: [] for title in models}, []
    originals = []
    named = [(name, load_photo(name)) for name in photos] + list(extra_photos)
    for name, original in named:
        gray = np.rint(color.rgb_to_gray(original.astype(np.float32) / 255.0) * 255).astype(np.uint8)
        grays.append(gray.astype(np.float32) / 255.0)
        originals.append(original.astype(np.float32) / 255.0)
        for title, colorizer in colorizers.items():
            result = colorize(gray[..., 0], colorizer)
            columns[title].append(result.astype(np.float32) / 255.0)
            lightness_error = np.abs(
                color.rgb_to_lab(result.astype(np.float32) / 255.0)[..., 0] - color.gray_to_lightness(gray[..., 0])
            )
            measures.append({
                "photo": name, "model": title, "size": f"{gray.shape[1]}x{gray.shape[0]}",
                "same size": "yes" if result.shape[:2] == gray.shape[:2] else "NO",
                "max |dL|": float(lightness_error.max()),
                "CF": float(metrics.colourfulness_per_image(result[None].astype(np.float32) / 255.0)[0]),
                "truth CF": float(metrics.colourfulness_per_image(original[None].astype(np.float32) / 255.0)[0]),
            })
    figures.comparison_grid(grays, {**columns, "original": originals}, out_path,
                            row_labels=[name for name, _ in named], cell_inches=2.4)
    return measures


def working_size_sweep(model, sizes=(32, 64, 128, 256), photos=PHOTOS):
    """Mean PSNR and colourfulness over ``photos`` (skimage names, or float RGB arrays) for each
    working size, next to the gray baseline's PSNR."""
    from colorize_cnn import color, metrics
    from colorize_cnn.colorizer import load_colorizer
    from colorize_cnn.evaluate import colorize_photos

    colorizer = load_colorizer(model)
    originals = [load_photo(p).astype(np.float32) / 255.0 if isinstance(p, str) else p for p in photos]
    gray_psnr = np.mean([
        metrics.psnr_per_image(color.gray_to_rgb(color.rgb_to_gray(original))[None], original[None])[0]
        for original in originals
    ])
    rows = []
    for size in sizes:
        results = colorize_photos(colorizer, originals, working_size=size)
        rows.append({
            "working size": size,
            "PSNR (dB)": float(np.mean([metrics.psnr_per_image(r[None], o[None])[0] for r, o in zip(results, originals)])),
            "gray baseline PSNR (dB)": float(gray_psnr),
            "CF": float(np.mean([metrics.colourfulness_per_image(r[None])[0] for r in results])),
        })
    return rows


# --- the photo evaluation --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PhotoReportConfig:
    # ((title, model name or .keras path[, options]), ...), README order. options: a fixed decoding
    # {"vividness", "balance"}, and/or "trained_on": the choice sets (by the start of their names,
    # e.g. "BSDS500 train") the model trained on, left out of its choice and its balance probe
    models: tuple
    figure_photos: tuple = PHOTOS  # skimage.data photos in the figure
    figure_test_photos: tuple = ()  # BSDS500 test file names in the figure (fixed, chosen once)
    figure_neutral_photos: int = 2  # and this many BSDS500 val photos with the least true chroma (snow, stone)
    frontier_images: int = 1000  # class-balanced Tiny ImageNet val images for the frontier
    choice_splits: tuple = ("val", "train")  # BSDS500 splits the decoding is chosen on (none is trained on)
    held_out_images: int = 1000  # Tiny ImageNet training images outside --tiny-imagenet, also chosen on (if given)
    script: str = "experiments/photos.py"  # named in the files it writes
    out: str = None  # the default --out (None: README-assets)


SUMMARY_COLUMNS = columns(*SUMMARY)
CAST_COLUMNS = columns(*CAST_AND_HARM)
PER_PHOTO_COLUMNS = {**SUMMARY_COLUMNS, **columns("gray_psnr", "mean_a", "mean_b", "truth_mean_a", "truth_mean_b",
                                                  "truth_chroma")}


def main(config, argv=None):
    from colorize_cnn.errors import report_errors
    from colorize_cnn.files import README_ASSETS

    parser = argparse.ArgumentParser(description="Evaluate every model on whole photographs at their own size "
                                     "against the gray baseline; choose each model's vividness on validation "
                                     "photos; write tables, per-image results, the frontier and the photo figure.")
    parser.add_argument("--tiny-imagenet", type=Path, required=True, metavar="PATH",
                        help="tiny-imagenet-200.zip or its folder (val split for reporting, training prior)")
    parser.add_argument("--bsds500", type=Path, required=True, metavar="PATH",
                        help="BSDS500 folder with val/ (choices) and test/ (reporting) photos")
    parser.add_argument("--held-out-from", type=Path, metavar="PATH", help="the full tiny-imagenet-200.zip: "
                        "its training images that are not in --tiny-imagenet (so that no model here trained on "
                        "them) join the sets the decoding is chosen on")
    parser.add_argument("--out", type=Path, default=Path(config.out or README_ASSETS), help="default: %(default)s")
    parser.add_argument("--limit", type=int, default=None, help="a quick check on this many photos of each set")
    parser.add_argument("--bundle-choices", action="store_true", help="also record each bundled model's chosen "
                        "vividness and balance beside its weights (colorize_cnn/weights/NAME.json): its new default")
    parser.add_argument("--reuse-choices", action="store_true", help="measure each model at the decoding recorded "
                        "beside its weights where that records its choice (its scores on the sets it was chosen on), "
                        "instead of choosing it again (the slow part); with --bundle-choices, a model without one "
                        "(newly bundled) is chosen and its choice recorded")
    args = parser.parse_args(argv)
    with report_errors() as status:
        photo_report(config, args.tiny_imagenet, args.bsds500, args.out, args.limit, args.bundle_choices,
                     args.held_out_from, args.reuse_choices)
    return status.code


def photo_report(config, tiny_imagenet, bsds500, out_dir, limit=None, bundle_choices=False, held_out_from=None,
                 reuse_choices=False):
    """Runs the photo evaluation; returns the summary dict it also writes to ``out_dir/photo-results.json``.

    ``bundle_choices``: write each bundled model's chosen decoding beside its weights.
    ``held_out_from``: a fuller copy of Tiny ImageNet; ``config.held_out_images`` of its training
    images that ``tiny_imagenet`` lacks join the sets the decoding is chosen on.
    ``reuse_choices``: a model whose decoding file records its choice (``recorded_choice``) keeps it."""
    from colorize_cnn import decoding, evaluate, files, heads
    from colorize_cnn.colorizer import WEIGHTS_DIR, load_colorizer
    from colorize_cnn.data import balanced_subset, load_dataset, load_photos, training_ab_prior
    from colorize_cnn.files import write_json
    from colorize_cnn.reports.tables import write_csv

    out_dir = Path(out_dir)
    tiny = load_dataset("tiny_imagenet", tiny_imagenet, limit=limit)
    prior = training_ab_prior(tiny)  # the photo training set's ab-bin frequencies, for the rebalanced AuC
    named = {split: load_photos(Path(bsds500) / split, limit) for split in {"val", *config.choice_splits}}
    choice_sets = {f"BSDS500 {split} ({len(named[split][1])} photos)": named[split][1] for split in config.choice_splits}
    if held_out_from is not None:
        from colorize_cnn.data import decoded_training_sample

        held_out = decoded_training_sample(load_dataset("tiny_imagenet", held_out_from), limit or config.held_out_images,
                                           exclude=tiny)
        choice_sets[f"Tiny ImageNet training images not in the subset ({len(held_out)})"] = held_out
    val_names, val_photos = named["val"]
    test_names, test_photos = load_photos(Path(bsds500) / "test", limit)
    frontier_pick = balanced_subset(tiny.test.labels, min(config.frontier_images, len(tiny.test)))
    tiny_frontier_rgb = list(tiny.test.rgb[frontier_pick])
    sets = {
        f"BSDS500 test ({len(test_photos)} photos)": test_photos,
        f"Tiny ImageNet val ({len(frontier_pick)} images)": tiny_frontier_rgb,
    }
    test_key, tiny_key = sets
    baselines = {key: evaluate.gray_baseline(photos, prior) for key, photos in sets.items()}
    summary = {"tiny_imagenet": tiny.name, "prior": f"ab bins of 5,000 {tiny.name} training images",
               "gray baseline": baselines, "models": {}}
    colorizers, per_image_rows = {}, []
    for title, model, *options in config.models:
        started = time.perf_counter()
        options = options[0] if options else {}
        colorizer = load_colorizer(model, runtime="keras")  # choose_decoding and predict_rgb take its keras.Model
        unseen = {name: photos for name, photos in choice_sets.items()
                  if not name.startswith(tuple(options.get("trained_on", ())))}
        if "vividness" in options:
            choice = {"vividness": options["vividness"], "balance": options.get("balance", 0.0),
                      "chosen_on": "not chosen: fixed in the experiment script"}
        elif reuse_choices and (recorded := recorded_choice(colorizer.name)):
            choice = recorded
        else:
            choice = decoding.choose_decoding(colorizer.model, tiny, photos=unseen)
            if bundle_choices and Path(colorizer.name).parent == WEIGHTS_DIR:
                files.write_decoding(choice, colorizer.name)
        vividness, balance = choice["vividness"], choice["balance"]
        colorizer = colorizers[title] = dataclasses.replace(colorizer, vividness=vividness, balance=balance)
        values = {key: decoding.values_by_vividness(colorizer, photos, prior) for key, photos in sets.items()}
        fronts = {key: decoding.frontier(by_vividness) for key, by_vividness in values.items()}
        tiny_all = heads.predict_rgb(colorizer.model, tiny.test.gray, vividness, balance=balance)
        tiny_values = evaluate.photo_metrics(list(tiny_all), list(tiny.test.rgb), prior)
        test_values = values[test_key][vividness]  # the chosen setting is one of the frontier's
        for name, index in zip(test_names, range(len(test_names))):
            per_image_rows.append({"set": "BSDS500 test", "photo": name, "model": title, "vividness": vividness,
                                   "balance": balance,
                                   **{label: float(test_values[key][index]) for key, label in PER_PHOTO_COLUMNS.items()
                                      if key in test_values}})
        neutral = evaluate.near_neutral(test_values)
        summary["models"][title] = {
            "model": str(model), "vividness": vividness, "balance": balance, "decoding_choice": choice,
            "frontiers": fronts,
            "bsds500_test": evaluate.summarise(test_values), "tiny_imagenet_val": evaluate.summarise(tiny_values),
            "bsds500_test_near_neutral": evaluate.summarise(neutral) if len(neutral["psnr"]) else None,
            "balance_probe": _balance_probe(colorizer, unseen, prior),
        }
        print(f"  {title}: vividness {vividness}, balance {balance} ({choice['chosen_on']}); "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    summary["tiny_imagenet_val_gray"] = evaluate.gray_baseline(list(tiny.test.rgb), prior)
    tables = _write_tables(config, summary, baselines[test_key], len(test_photos), tiny, choice_sets, reuse_choices,
                           out_dir)
    write_csv(per_image_rows, out_dir / "photo-results-per-image.csv")
    write_json(summary, out_dir / "photo-results.json")
    _write_figures(config, summary, colorizers, baselines, (test_key, tiny_key), (test_names, test_photos),
                   (val_names, val_photos), out_dir)
    print("\n".join(tables))
    return summary


def _write_tables(config, summary, test_gray, test_count, tiny, choice_sets, reuse_choices, out_dir):
    """``photo-results.md`` and its CSVs, ``photo-decoding.md``; returns the tables."""
    from colorize_cnn import decoding, metrics
    from colorize_cnn.reports.tables import markdown_table, write_csv, write_text

    tables = []
    for label, key, gray in ((f"BSDS500 test, {test_count} whole photos at their own size", "bsds500_test",
                              test_gray),
                             (f"{tiny.name} val, {len(tiny.test)} images (64 x 64)", "tiny_imagenet_val",
                              summary["tiny_imagenet_val_gray"])):
        rows = [_summary_row("gray baseline", None, gray)]
        rows += [_summary_row(title, result, result[key]) for title, result in summary["models"].items()]
        tables.append(f"### {label}\n\n" + markdown_table(rows))
        cast_rows = [_cast_row(title, result, result[key]) for title, result in summary["models"].items()]
        tables.append(f"Cast and harm, {label}:\n\n" + markdown_table(cast_rows))
        write_csv([{**row, **cast} for row, cast in zip(rows[1:], cast_rows)], out_dir / f"photo-results-{key.replace('_', '-')}.csv")
    neutral_rows = [_cast_row(title, result, result["bsds500_test_near_neutral"])
                    for title, result in summary["models"].items() if result["bsds500_test_near_neutral"]]
    if neutral_rows:
        tables.append("### BSDS500 test, its near-neutral photos (true mean chroma below "
                      f"{metrics.NEAR_NEUTRAL_CHROMA:g})\n\n" + markdown_table(neutral_rows))
    probe_rows = [{"model": title, "vividness": result["vividness"], "balance": result["balance"], "set": name, **{
        "vs gray (dB)": probe["as it is"]["psnr_vs_gray"], "> 3 dB below gray (%)": probe["as it is"]["below_gray_3db"],
        "true balance: vs gray (dB)": probe["true balance"]["psnr_vs_gray"],
        "true balance: > 3 dB below gray (%)": probe["true balance"]["below_gray_3db"]}}
        for title, result in summary["models"].items() for name, probe in result["balance_probe"].items()]
    tables.append("### How much is the overall colour balance? (validation photos)\n\nEach output's mean a* and b* "
                  "moved to the truth's, every other pixel's colour unchanged (an oracle):\n\n" + markdown_table(probe_rows))
    chosen_on = (" and ".join(choice_sets) + " (less any a model trained on)" if not reuse_choices else
                 "the sets each model's recorded choice names (photo-decoding.md; --reuse-choices)")
    header = (f"Produced by {config.script}. Vividness and balance chosen together per model on "
              + chosen_on + ": the most colourful setting whose mean PSNR is at least the gray "
              f"baseline's and which leaves at most {decoding.MAX_HARMED_PERCENT:g}% of the photos more than 3 dB below "
              "gray, on each set (if none does, the best mean over the sets of PSNR above gray); a decoding fixed in the "
              "script is not chosen (its \"chosen_on\" in photo-results.json says so). Truth CF in the CF / truth CF column's denominator. "
              "Cast: mean over photos of the output's mean a* (b*) minus the truth's (+b* yellow, +a* red); "
              "harm: photos whose PSNR is more than 1 (3) dB below the gray baseline's on the same photo.\n\n")
    write_text(header + "\n".join(tables), out_dir / "photo-results.md")
    write_text(f"Produced by {config.script}: every setting of vividness and balance scored on the sets the "
               "decoding is chosen on.\n\n"
               + "\n".join(f"### {title}: chosen vividness {result['vividness']:g}, balance {result['balance']:g}\n\n"
                           f"Chosen on {result['decoding_choice']['chosen_on']}.\n\n"
                           + decoding_choice_table(result["decoding_choice"])
                           for title, result in summary["models"].items() if "sets" in result["decoding_choice"]),
               out_dir / "photo-decoding.md")
    return tables


def _write_figures(config, summary, colorizers, baselines, keys, test, val, out_dir):
    """The frontier plot, the photo figure and its table, the working-size sweep."""
    from colorize_cnn import color, figures
    from colorize_cnn.reports.tables import markdown_table, write_text

    (test_names, test_photos), (val_names, val_photos) = test, val
    figures.frontier_plot(
        {key: {title: result["frontiers"][key] for title, result in summary["models"].items()}
         for key in keys},
        {key: baselines[key] for key in keys},
        out_dir / "photo-frontier.png",
    )
    extra = [(name, (photo * 255).round().astype(np.uint8)) for name, photo in zip(test_names, test_photos)
             if name in config.figure_test_photos]
    chroma = [np.linalg.norm(color.rgb_to_lab(photo)[..., 1:], axis=-1).mean() for photo in val_photos]
    extra += [(f"val {val_names[index]} (near-neutral)", (val_photos[index] * 255).round().astype(np.uint8))
              for index in np.argsort(chroma)[:config.figure_neutral_photos]]
    rows = photo_demo(colorizers, out_dir / "photos.png", config.figure_photos, extra)
    sweep = working_size_sweep(colorizers[config.models[0][0]], sizes=(32, 64, 128), photos=val_photos)
    write_text(f"Produced by {config.script}\n\n" + markdown_table(rows)
               + f"\n{config.models[0][0]} at other working sizes (mean over BSDS500 val, {len(val_photos)} photos):\n\n"
               + markdown_table(sweep), out_dir / "photos.md")


def recorded_choice(model_path):
    """The decoding choice recorded beside a saved model (``decoding.choose_decoding``'s dict, as
    ``files.write_decoding`` wrote it), if that file records the scores it was chosen by; else None."""
    from colorize_cnn.files import read_decoding

    choice = read_decoding(model_path) if Path(model_path).suffix == ".keras" else {}
    return choice if "sets" in choice and {"vividness", "balance"} <= set(choice) else None


def decoding_choice_table(choice):
    """A decoding choice (``decoding.choose_decoding``'s dict) as Markdown: per set, a row per setting
    it scored: PSNR against gray, colour, harm and cast."""
    from colorize_cnn.reports.tables import markdown_table

    titles = columns("psnr_vs_gray", "colourfulness_ratio", "below_gray_3db", "cast_a", "cast_b")
    parts = []
    for name, results in choice["sets"].items():
        rows = [{"vividness": key.split("/")[0], "balance": key.split("/")[1],
                 **{label: score[field] for field, label in titles.items()}} for key, score in results["scores"].items()]
        parts.append(f"{name}, gray {results['gray_psnr']:.2f} dB:\n\n" + markdown_table(rows))
    return "\n".join(parts)


def _balance_probe(colorizer, photo_sets, prior):
    """PSNR against gray and harm on each set, at the colorizer's decoding, as it is and with each
    photo's true mean a*, b* (``evaluate.with_true_balance``)."""
    from colorize_cnn import evaluate

    probe = {}
    for name, truths in photo_sets.items():
        predicted = evaluate.colorize_photos(colorizer, truths)
        balanced = [evaluate.with_true_balance(p, t) for p, t in zip(predicted, truths)]
        probe[name] = {label: {key: summary[key] for key in ("psnr_vs_gray", "below_gray_3db")}
                       for label, summary in (("as it is", evaluate.summarise(evaluate.photo_metrics(predicted, truths, prior))),
                                              ("true balance", evaluate.summarise(evaluate.photo_metrics(balanced, truths, prior))))}
    return probe


def _cast_row(title, result, values):
    return {"model": title, "vividness": result["vividness"], "balance": result["balance"], "photos": values["images"],
            **{label: values[key] for key, label in CAST_COLUMNS.items()}}


def _summary_row(title, result, values):
    return {"model": title, "vividness": "" if result is None else result["vividness"],
            "balance": "" if result is None else result["balance"],
            **{label: values[key] for key, label in SUMMARY_COLUMNS.items()},
            "truth CF": values["truth_colourfulness"]}


# --- chroma upsampling apart from any model ---------------------------------------------------
