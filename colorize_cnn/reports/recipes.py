"""Comparing training recipes for the photo colorizer at one budget of training steps.

Each recipe is the reference ``TrainConfig`` with some fields changed; every recipe trains for the
same number of steps (its epochs count passes over ``full_set_images``, however many images are
loaded) on the same images, then is scored against the gray baseline on validation photos at their
own size (the command line's path) and on held-out training images, with the cast and harm measures
beside PSNR and colourfulness. ``--models`` keeps each trained model with its chosen vividness.
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.tables import columns


@dataclasses.dataclass(frozen=True)
class RecipeConfig:
    reference: TrainConfig
    variants: tuple  # ((name, ((field, value), ...)), ...)
    full_set_images: int = 50_000
    candidates: tuple = (0.0, 0.25, 0.5, 0.75, 1.0)  # vividness settings scored for each recipe
    held_out_images: int = 1000  # training images set aside (never trained on) to choose on
    hints: bool = False  # hint recipes: scored with hints (compare_hint_recipes), not by vividness


def main(config, argv=None):
    from colorize_cnn.errors import report_errors

    parser = argparse.ArgumentParser(description="Train the photo U-Net with each recipe for the same number of "
                                     "steps and score it on validation photos against the gray baseline.")
    parser.add_argument("--data", type=Path, help="tiny-imagenet-200.zip or its folder")
    parser.add_argument("--bsds500-val", type=Path, help="folder of validation photos")
    parser.add_argument("--images", type=int, default=None, help="training images to load (default: all)")
    parser.add_argument("--held-out", type=int, default=config.held_out_images, help="of those, set aside to "
                        "choose on (default: %(default)s)")
    parser.add_argument("--steps-of-images", type=int, default=config.full_set_images,
                        help="an epoch counts this many images, whatever --images is (default: %(default)s)")
    parser.add_argument("--recipes", nargs="*", help="names (or their first word) to run; default: all")
    parser.add_argument("--out", type=Path, default=Path("runs") / "photo_recipes.json", help="default: %(default)s")
    parser.add_argument("--models", type=Path, default=None, help="folder to save each recipe's model in "
                        "(<recipe>.keras, with its chosen vividness beside it); default: not saved")
    parser.add_argument("--report", type=Path, nargs="+", metavar="JSON", help="no training: join the results "
                        "of earlier runs (their --out files) into one table, written to --out as Markdown")
    args = parser.parse_args(argv)
    if args.report:
        results = [result for path in args.report for result in json.loads(path.read_text())["results"]]
        table = (hint_recipe_table if config.hints else recipe_table)(results)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")
        print(table)
        return 0
    if args.data is None or args.bsds500_val is None:
        parser.error("--data and --bsds500-val are needed to train (or --report to join earlier results)")
    variants = [v for v in config.variants if not args.recipes or any(v[0].startswith(r) for r in args.recipes)]
    config = dataclasses.replace(config, variants=tuple(variants), full_set_images=args.steps_of_images,
                                 held_out_images=args.held_out)
    compare = compare_hint_recipes if config.hints else compare_recipes
    with report_errors() as status:
        compare(config, args.data, args.bsds500_val, args.images, args.out, args.models)
    return status.code


def _slug(name):
    import re

    return re.sub("[^a-z0-9]+", "-", name.lower()).strip("-")


def compare_recipes(config, data, validation_photos, images=None, out=None, models_dir=None):
    """Trains and scores every recipe; returns (and writes to ``out``) a list of result dicts.

    Each recipe is scored at every vividness of ``config.candidates`` on two validation sets: the
    photos in ``validation_photos`` (whole, at their own size) and ``config.held_out_images``
    training images that no recipe trains on (64 x 64); its vividness is the most vivid setting
    that ``decoding.pick_vividness`` accepts on both.
    """
    import keras

    from colorize_cnn import color, decoding, evaluate, files, heads
    from colorize_cnn.colorizer import load_colorizer
    from colorize_cnn.data import load_photos
    dataset, rgb, held_out, prior = _training_arrays(config, data, images)
    _, photos = load_photos(validation_photos)
    sets = {f"{Path(validation_photos).name} ({len(photos)} photos)": photos,
            f"held-out training images ({len(held_out)})": held_out}
    grays = {key: evaluate.gray_baseline(list(truths), prior) for key, truths in sets.items()}
    device = f"{keras.backend.backend()} on {_device_name()}"
    print(f"{len(rgb)} training images of {dataset.name}, {len(held_out)} held out; {len(photos)} validation photos; "
          f"Keras backend {device}; gray baselines " + ", ".join(f"{k}: {g['psnr']:.2f} dB" for k, g in grays.items()),
          flush=True)
    results = []
    for name, train_config, model, seconds in _trained_recipes(config, rgb):
        epochs = train_config.epochs
        photo_key, held_out_key = sets
        points = {  # held-out images are 64 x 64, the working size: in batches (the same pixels as colorize)
            photo_key: decoding.frontier(decoding.values_by_vividness(load_colorizer(model), photos, prior,
                                                                      config.candidates)),
            held_out_key: decoding.frontier({v: evaluate.photo_metrics(
                list(heads.predict_rgb(model, color.rgb_to_gray(held_out), v)), list(held_out), prior)
                for v in config.candidates}),
        }
        vividness = decoding.pick_vividness_on_sets(points)
        result = {"recipe": name, "model_name": train_config.model_name, "epochs": epochs, "images": len(rgb),
                  "train_seconds": round(seconds, 1), "images_per_second": round(epochs * len(rgb) / seconds, 1),
                  "device": device, "parameters": model.count_params(), "chosen_vividness": vividness,
                  "gray": grays, "points": points}
        results.append(result)
        if models_dir is not None:
            path = _save_recipe_model(model, models_dir, name)
            files.write_decoding({"vividness": vividness, "chosen_on": " and ".join(sets), "recipe": name,
                                     "train": dataclasses.asdict(train_config)}, path)
        print(f"  {name}: {seconds:.0f} s ({result['images_per_second']:.0f} images/s); vividness {vividness}; "
              + "; ".join(f"{key}: " + ", ".join(f"v={p['vividness']:g} {p['psnr']:.2f} dB CF {p['colourfulness_ratio']:.2f}x "
                                             f"cast b* {p['cast_b']:+.1f} >3dB {p['below_gray_3db']:.0f}%"
                                             for p in pts) for key, pts in points.items()), flush=True)
        if out is not None:  # after every recipe, so that a run stopped early keeps what it measured
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(json.dumps({"device": device, "results": results}, indent=2) + "\n")
    print("\n" + recipe_table(results))
    return results


def _trained_recipes(config, rgb):
    """Each recipe of ``config`` trained on ``rgb`` for the same number of steps (its epochs count
    passes over ``config.full_set_images``): yields (name, its TrainConfig, model, seconds)."""
    from colorize_cnn.train import train_on_arrays

    for name, changes in config.variants:
        train_config = dataclasses.replace(config.reference, **dict(changes))
        epochs = max(1, round(train_config.epochs * config.full_set_images / len(rgb)))
        train_config = dataclasses.replace(train_config, epochs=epochs)
        started = time.perf_counter()
        model = train_on_arrays(train_config, rgb)
        yield name, train_config, model, time.perf_counter() - started


def _save_recipe_model(model, folder, name):
    import keras

    from colorize_cnn.train import save_model

    path = Path(folder) / f"{_slug(name)}.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(keras.Model(model.input, model.output, name=model.name), path)
    return path


def _training_arrays(config, data, images):
    """Tiny ImageNet's training images decoded: (data set, training images, held-out images, ab prior)."""
    import numpy as np

    from colorize_cnn.data import decoded_training_sample, load_dataset, training_ab_prior

    dataset = load_dataset("tiny_imagenet", data)
    rgb = decoded_training_sample(dataset, images or len(dataset.train_images), config.reference.seed)
    order = np.random.default_rng(config.reference.seed).permutation(len(rgb))
    count = min(config.held_out_images, len(rgb) // 5)  # a small set (a quick run) still trains on most
    prior = training_ab_prior(rgb)  # for the rebalanced AuC
    return dataset, rgb[order[count:]], rgb[order[:count]], prior


HINT_CHOICE_COUNTS = (0, 1, 5, 10)  # numbers of hints a hint recipe is scored at


def compare_hint_recipes(config, data, validation_photos, images=None, out=None, models_dir=None):
    """Trains every hint recipe (``train_on_arrays``, any backend) and scores it on the validation
    photos (whole, own size, through ``colorize``) with the protocol's hints (``hint_evaluation``)
    at ``HINT_CHOICE_COUNTS`` hints, beside the automatic model the recipes start from. Returns
    (and writes to ``out`` after each recipe) a list of result dicts."""
    import keras

    from colorize_cnn import evaluate
    from colorize_cnn import hint_protocol
    from colorize_cnn.colorizer import load_colorizer
    from colorize_cnn.data import load_photos
    dataset, rgb, _, prior = _training_arrays(config, data, images)
    names, photos = load_photos(validation_photos)
    sequences = hint_protocol.hint_sequences(names, photos, None, config.reference.seed)
    key = f"{Path(validation_photos).name} ({len(photos)} photos)"
    automatic = evaluate.summarise(evaluate.photo_metrics(
        evaluate.colorize_photos(load_colorizer(config.reference.initial_model), photos), photos, prior))
    device = f"{keras.backend.backend()} on {_device_name()}"
    print(f"{len(rgb)} training images of {dataset.name}; {key}; {device}; automatic "
          f"({config.reference.initial_model}): {automatic['psnr']:.2f} dB", flush=True)
    results = []
    for name, train_config, model, seconds in _trained_recipes(config, rgb):
        epochs = train_config.epochs
        values = hint_protocol.values_by_hint_count(load_colorizer(model), photos, sequences, prior,
                                                      HINT_CHOICE_COUNTS)
        by_count = {str(count): evaluate.summarise(per_photo) for count, per_photo in values.items()}
        result = {"recipe": name, "epochs": epochs, "images": len(rgb), "train_seconds": round(seconds, 1),
                  "images_per_second": round(epochs * len(rgb) / seconds, 1), "device": device,
                  "set": key, "automatic": automatic, "hints": by_count,
                  "train": {k: v for k, v in dataclasses.asdict(train_config).items() if k != "model_kwargs"}}
        results.append(result)
        if models_dir is not None:
            _save_recipe_model(model, models_dir, name)
        print(f"  {name}: {seconds:.0f} s ({result['images_per_second']:.0f} images/s); "
              + ", ".join(f"{count} hints {s['psnr']:.2f} dB" for count, s in by_count.items()), flush=True)
        if out is not None:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(json.dumps({"device": device, "results": results}, indent=2) + "\n")
    return results


RECIPE_COLUMNS = columns("psnr_vs_gray", "colourfulness_ratio", "cast_a", "cast_b", "below_gray_3db",
                         "worst_10_vs_gray")


def recipe_table(results):
    """Markdown: one row per recipe and validation set at vividness 0, 0.5 and the chosen one."""
    from colorize_cnn.reports.tables import markdown_table

    rows = []
    for result in results:
        for key, points in result["points"].items():
            by_vividness = {p["vividness"]: p for p in points}
            for vividness in sorted({0.0, 0.5, result["chosen_vividness"]}):
                point = by_vividness[vividness]
                rows.append({"recipe": result["recipe"], "train s": result["train_seconds"], "set": key,
                             "vividness": f"{vividness:g}" + (" (chosen)" if vividness == result["chosen_vividness"] else ""),
                             "PSNR (dB)": point["psnr"], **{t: point[k] for k, t in RECIPE_COLUMNS.items()}})
    return markdown_table(rows)


def hint_recipe_table(results):
    """Markdown: one row per hint recipe, PSNR at each number of hints beside the automatic model."""
    from colorize_cnn.reports.tables import markdown_table

    rows = []
    for result in results:
        automatic = result["automatic"]["psnr"]
        row = {"recipe": result["recipe"], "train s": result["train_seconds"], "set": result["set"],
               "automatic (dB)": automatic}
        for count, summary in result["hints"].items():
            row[f"{count} hints (dB)"] = summary["psnr"]
            row[f"{count}: vs automatic"] = summary["psnr"] - automatic
        rows.append(row)
    return markdown_table(rows)


def _device_name():
    """The first device Keras trains on, in words."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.device_kind} ({device.platform})"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return gpus[0].name if gpus else "the CPU"
    return "the CPU"
