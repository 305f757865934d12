"""One experiment end to end: data -> train -> evaluate against the gray baseline -> figures.

Experiment scripts hold an ``ExperimentConfig`` and call ``main(CONFIG, sys.argv[1:])``.
TensorFlow is imported only once a run starts, so ``--help`` is fast.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
README_ASSETS = REPO_ROOT / "README-assets"
FULL_CIFAR10 = (50_000, 10_000)


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    name: str  # also the run folder: runs/<name>
    figure_prefix: str  # README-assets/<prefix>1.png ...
    title: str
    model_name: str
    model_kwargs: tuple = ()
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    rebalance_mix: float = 0.5
    steps_per_execution: int = 1
    figures: int = 3  # comparison figures, 4 fixed test images each


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def parse_args(config, argv):
    parser = argparse.ArgumentParser(
        description=f"{config.title}. Trains on CIFAR-10 on the CPU, evaluates on the test split against the "
        "gray baseline, and writes comparison figures, a learning curve and metrics.json.",
    )
    parser.add_argument("--data", metavar="PATH", help="local CIFAR-10: cifar-10-batches-py folder, "
                        "cifar-10-python.tar.gz, or an image folder train/<class>/*, test/<class>/* "
                        "(default: $COLORIZE_CNN_DATA, else download through Keras)")
    parser.add_argument("--epochs", type=_positive_int, default=config.epochs, help="default: %(default)s")
    parser.add_argument("--batch-size", type=_positive_int, default=config.batch_size, help="default: %(default)s")
    parser.add_argument("--limit", type=_positive_int, help="train and test on a class-balanced subset of this "
                        "many images per split (a quick run; figures never go to README-assets)")
    parser.add_argument("--out", type=Path, help=f"run folder for the model, history, metrics and figures "
                        f"(default: runs/{config.name}, or runs/{config.name}-limit<N> with --limit)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    return parser.parse_args(argv)


def main(config, argv=None):
    """Command-line entry point of an experiment script; returns the exit status."""
    args = parse_args(config, argv)
    out_dir = args.out or Path("runs") / (config.name + (f"-limit{args.limit}" if args.limit else ""))
    from colorize_cnn.data import DataSourceError

    try:
        run(config, data_dir=args.data, epochs=args.epochs, batch_size=args.batch_size, limit=args.limit,
            out_dir=out_dir, seed=args.seed)
    except (DataSourceError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def run(config, data_dir=None, epochs=None, batch_size=None, limit=None, out_dir=None, seed=0):
    """Runs the experiment; returns the metrics dict that it also writes to ``out_dir/metrics.json``."""
    from colorize_cnn.compare import BASELINE, evaluate_predictions
    from colorize_cnn.data import Split, balanced_subset, load_cifar10
    from colorize_cnn.files import write_json
    from colorize_cnn.models import AnnealedMeanAB
    from colorize_cnn.train import (
        MODEL_FILE, TrainConfig, choose_temperature, output_kind, predict_rgb, save_model, set_temperature, train,
    )

    train_config = TrainConfig(
        model_name=config.model_name, model_kwargs=config.model_kwargs, epochs=epochs or config.epochs,
        batch_size=batch_size or config.batch_size, learning_rate=config.learning_rate, seed=seed,
        rebalance_mix=config.rebalance_mix, steps_per_execution=config.steps_per_execution,
    )
    out_dir = Path(out_dir or Path("runs") / config.name)
    dataset = load_cifar10(data_dir, limit=limit, seed=seed)
    print(f"{dataset.name} from {dataset.source}: {len(dataset.train)} training, {len(dataset.test)} test images")
    started = time.perf_counter()
    model, history = train(train_config, dataset, out_dir)
    train_seconds = time.perf_counter() - started
    temperature_scores = None
    if any(isinstance(layer, AnnealedMeanAB) for layer in model.layers):
        chosen = balanced_subset(dataset.train.labels, min(2000, len(dataset.train)), seed)
        subset = Split(dataset.train.gray[chosen], dataset.train.rgb[chosen], dataset.train.labels[chosen])
        temperature, temperature_scores = choose_temperature(model, subset)
        model = set_temperature(model, temperature)
        save_model(model, out_dir / MODEL_FILE)
    predicted = predict_rgb(model, dataset.test.gray)
    results = evaluate_predictions({"model": predicted}, dataset)
    report = {
        "experiment": config.name,
        "model_name": config.model_name,
        "model_kwargs": dict(config.model_kwargs),
        "parameters": int(model.count_params()),
        "output": output_kind(model),
        "dataset": dataset.name,
        "data_source": dataset.source,
        "train_images": len(dataset.train),
        "test_images": len(dataset.test),
        "epochs": train_config.epochs,
        "batch_size": train_config.batch_size,
        "seed": seed,
        "train_wall_seconds": round(train_seconds, 1),
        "epoch_seconds": history.get("epoch_seconds", []),
        "temperature_scores": temperature_scores,
        "model": results["model"],
        "gray_baseline": results[BASELINE],
    }
    write_json(report, out_dir / "metrics.json")
    _write_figures(config, dataset, predicted, history, out_dir)
    full_run = (len(dataset.train), len(dataset.test)) == FULL_CIFAR10 and limit is None
    if full_run:
        _write_figures(config, dataset, predicted, history, README_ASSETS)
        write_json(report, README_ASSETS / f"{config.figure_prefix}-metrics.json")
    _print_summary(report, out_dir, full_run)
    return report


def _write_figures(config, dataset, predicted, history, folder):
    from colorize_cnn import figures

    indices = figures.figure_indices(dataset.test.labels)
    per_figure = max(1, len(indices) // config.figures)
    for number in range(1, config.figures + 1):
        chosen = indices[(number - 1) * per_figure: number * per_figure]
        if chosen:
            figures.comparison_grid(
                dataset.test.gray[chosen], {"prediction": predicted[chosen], "original": dataset.test.rgb[chosen]},
                Path(folder) / f"{config.figure_prefix}{number}.png",
                row_labels=[dataset.class_names[dataset.test.labels[i]] for i in chosen],
            )
    figures.learning_curves({config.title: history}, Path(folder) / f"{config.figure_prefix}-learning-curve.png")


def _print_summary(report, out_dir, full_run):
    from colorize_cnn.metrics import METRIC_LABELS

    print(f"\n{report['experiment']}: {report['train_wall_seconds'] / 60:.1f} min training, "
          f"{report['parameters']:,} parameters, {report['dataset']} test split ({report['test_images']} images)")
    for name, label in METRIC_LABELS.items():
        print(f"  {label:16s} model {report['model']['mean'][name]:8.3f}   gray baseline "
              f"{report['gray_baseline']['mean'][name]:8.3f}")
    print(f"wrote {out_dir}/" + (f" and {README_ASSETS}/" if full_run else " (not README-assets: not a full CIFAR-10 run)"))
