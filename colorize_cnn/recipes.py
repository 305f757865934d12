"""Comparing training recipes for the photo colorizer at one budget of training steps.

Each recipe is the reference ``TrainConfig`` with some fields changed; every recipe trains for the
same number of steps (its epochs count passes over ``full_set_images``, however many images are
loaded) on the same images, then is scored on validation photos at their own size through the
command line's path, against the gray baseline. Choices only: no model is kept.
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

from colorize_cnn.config import TrainConfig


@dataclasses.dataclass(frozen=True)
class RecipeConfig:
    reference: TrainConfig
    variants: tuple  # ((name, ((field, value), ...)), ...)
    full_set_images: int = 50_000
    candidates: tuple = (0.0, 0.5, 1.0)  # vividness settings scored for each recipe


def main(config, argv=None):
    from colorize_cnn.errors import report_errors

    parser = argparse.ArgumentParser(description="Train the photo U-Net with each recipe for the same number of "
                                     "steps and score it on validation photos against the gray baseline.")
    parser.add_argument("--data", type=Path, required=True, help="tiny-imagenet-200.zip or its folder")
    parser.add_argument("--bsds500-val", type=Path, required=True, help="folder of validation photos")
    parser.add_argument("--images", type=int, default=None, help="training images to load (default: all)")
    parser.add_argument("--steps-of-images", type=int, default=config.full_set_images,
                        help="an epoch counts this many images, whatever --images is (default: %(default)s)")
    parser.add_argument("--recipes", nargs="*", help="names (or their first word) to run; default: all")
    parser.add_argument("--out", type=Path, default=Path("runs") / "photo_recipes.json", help="default: %(default)s")
    args = parser.parse_args(argv)
    variants = [v for v in config.variants if not args.recipes or any(v[0].startswith(r) for r in args.recipes)]
    config = dataclasses.replace(config, variants=tuple(variants), full_set_images=args.steps_of_images)
    with report_errors() as status:
        compare_recipes(config, args.data, args.bsds500_val, args.images, args.out)
    return status.code


def compare_recipes(config, data, validation_photos, images=None, out=None):
    """Trains and scores every recipe; returns (and writes to ``out``) a list of result dicts."""
    import keras

    from colorize_cnn import color, evaluate
    from colorize_cnn.colorize import load_colorizer
    from colorize_cnn.compare import markdown_table
    from colorize_cnn.data import decoded_training_sample, load_dataset
    from colorize_cnn.train import train_on_arrays

    dataset = load_dataset("tiny_imagenet", data)
    rgb = decoded_training_sample(dataset, images or len(dataset.train_images), config.reference.seed)
    prior = color.ab_bin_prior(color.rgb_to_lab(rgb[:5000])[..., 1:])  # for the rebalanced AuC
    _, photos = evaluate.load_photos(validation_photos)
    gray = evaluate.gray_baseline(photos, prior)
    print(f"{len(rgb)} training images of {dataset.name}; {len(photos)} validation photos; Keras backend "
          f"{keras.backend.backend()}; gray baseline {gray['psnr']:.2f} dB", flush=True)
    results = []
    for name, changes in config.variants:
        train_config = dataclasses.replace(config.reference, **dict(changes))
        epochs = max(1, round(train_config.epochs * config.full_set_images / len(rgb)))
        train_config = dataclasses.replace(train_config, epochs=epochs)
        started = time.perf_counter()
        model = train_on_arrays(train_config, rgb)
        seconds = time.perf_counter() - started
        values = evaluate.values_by_vividness(load_colorizer(model), photos, prior, config.candidates)
        points = evaluate.frontier(values)
        vividness = evaluate.pick_vividness({str(p["vividness"]): p for p in points}, gray["psnr"])
        results.append({"recipe": name, "epochs": epochs, "images": len(rgb), "train_seconds": round(seconds, 1),
                        "parameters": model.count_params(), "chosen_vividness": vividness,
                        "gray_psnr": gray["psnr"], "points": points})
        print(f"  {name}: {seconds:.0f} s; " + "; ".join(
            f"v={p['vividness']:g}: {p['psnr']:.2f} dB, CF {p['colourfulness_ratio']:.2f}x" for p in points), flush=True)
        if out is not None:  # after every recipe, so that a run stopped early keeps what it measured
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(json.dumps({"gray": gray, "results": results}, indent=2) + "\n")
    rows = [{"recipe": r["recipe"], "train s": r["train_seconds"], "chosen vividness": r["chosen_vividness"],
             **{f"PSNR v={p['vividness']:g}": p["psnr"] for p in r["points"]},
             **{f"CF/truth v={p['vividness']:g}": p["colourfulness_ratio"] for p in r["points"]}} for r in results]
    print(f"\ngray baseline: {gray['psnr']:.2f} dB\n" + markdown_table(rows))
    return results
