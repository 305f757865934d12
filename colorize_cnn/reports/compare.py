"""Every trained model against the gray baseline on the full test split: tables and figures.

Reads what the experiment scripts saved (``runs/<name>/model.keras``, ``history.csv``,
``metrics.json``); trains nothing.
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from colorize_cnn.reports.tables import markdown_table, write_csv, write_text



@dataclasses.dataclass(frozen=True)
class RunSummary:
    name: str  # experiment name (runs/<name>)
    title: str
    parameters: int
    train_minutes: float
    epochs: int
    batch_size: int
    history: dict
    dataset: str  # what it was trained on: its curves are drawn only beside runs of the same data set


def load_run(run_dir, title):
    from colorize_cnn.files import HISTORY_FILE, METRICS_FILE
    from colorize_cnn.train import read_history

    run_dir = Path(run_dir)
    report = json.loads((run_dir / METRICS_FILE).read_text())
    return RunSummary(
        name=run_dir.name, title=title, parameters=report["parameters"],
        train_minutes=report["train_wall_seconds"] / 60, epochs=report["epochs"], batch_size=report["batch_size"],
        history=read_history(run_dir / HISTORY_FILE), dataset=report["dataset"],
    )


def results_rows(results, runs):
    """One row per model: metric means, parameters and training time."""
    from colorize_cnn.reports.tables import METRICS, columns

    rows = []
    for name, result in results.items():
        run = runs.get(name)
        row = {"model": name if run is None else run.title}
        row.update({label: result["mean"][metric] for metric, label in columns(*METRICS).items()})
        row["parameters"] = "" if run is None else run.parameters
        row["epochs x batch"] = "" if run is None else f"{run.epochs} x {run.batch_size}"
        row["train minutes"] = "" if run is None else f"{run.train_minutes:.1f}"
        rows.append(row)
    return rows


def per_class_rows(results, runs, metric):
    rows = []
    class_names = next(iter(results.values()))["per_class"]
    for class_name in class_names:
        row = {"class": class_name}
        for name, result in results.items():
            row[name if name not in runs else runs[name].title] = result["per_class"][class_name][metric]
        rows.append(row)
    return rows


def quality_curves(runs):
    """title -> (cumulative training minutes after each epoch, test PSNR after each epoch)."""
    return {
        run.title: (np.cumsum(run.history["epoch_seconds"]) / 60.0, run.history["test_psnr"])
        for run in runs.values()
        if "test_psnr" in run.history
    }


@dataclasses.dataclass(frozen=True)
class CompareConfig:
    runs: tuple  # ((experiment name, title), ...)
    dataset: str = "cifar10"  # a name in colorize_cnn.data.DATASETS
    per_class_metrics: tuple = ("psnr", "auc_rebalanced", "colourfulness")
    grid_picks: int = 10  # fixed test images in the comparison grid


def main(config, argv=None):
    from colorize_cnn.errors import report_errors
    from colorize_cnn.files import RUNS_DIR

    parser = argparse.ArgumentParser(description="Evaluate every trained model (runs/<name>/model.keras) and the "
                                     f"gray baseline on the {config.dataset} test split; write tables and figures.")
    parser.add_argument("--data", metavar="PATH", help="local copy of the data set (as the experiment scripts take it)")
    parser.add_argument("--runs", type=Path, default=RUNS_DIR, help="folder of experiment runs (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: README-assets)")
    parser.add_argument("--limit", type=int, default=None, help="evaluate on a class-balanced subset (a quick check)")
    parser.add_argument("--bundled", action="store_true", help="for a model without a run, evaluate the weights "
                        "bundled with the package (colorize_cnn/weights/NAME.keras), if any")
    args = parser.parse_args(argv)
    with report_errors() as status:
        compare(config, args.data, args.runs, args.out, args.limit, args.bundled)
    return status.code


def compare(config, data_dir, runs_dir, out_dir=None, limit=None, bundled=False):
    from colorize_cnn import figures
    from colorize_cnn.colorizer import WEIGHTS_DIR, load_colorizer
    from colorize_cnn.data import load_dataset
    from colorize_cnn.errors import BadArgumentError, UserError
    from colorize_cnn.evaluate import evaluate_predictions
    from colorize_cnn.files import MODEL_FILE, README_ASSETS
    from colorize_cnn.heads import RGB, predict_rgb

    if out_dir is None and limit is not None:
        raise BadArgumentError("a --limit comparison must name --out, so it can never overwrite README-assets.")
    out_dir = Path(out_dir or README_ASSETS)
    # with ``bundled``, a model without a run of its own is evaluated from the package's bundled
    # weights if there are some (they are those runs' models); its training columns stay empty
    model_files = {}
    for name, _ in config.runs:
        for path in (Path(runs_dir) / name / MODEL_FILE, *([WEIGHTS_DIR / f"{name}.keras"] if bundled else [])):
            if path.is_file():
                model_files[name] = path
                break
    available = [(name, title) for name, title in config.runs if name in model_files]
    missing = [name for name, _ in config.runs if name not in model_files]
    if not available:
        raise UserError(f"no trained models in {runs_dir}/ (looked for {', '.join(n for n, _ in config.runs)}); "
                         "run the experiment scripts first.")
    if missing:
        print(f"not trained yet, left out: {', '.join(missing)}")
    bundled = [name for name, path in model_files.items() if path.parent == WEIGHTS_DIR]
    if bundled:
        print(f"no run; the bundled weights are evaluated: {', '.join(bundled)}")
    dataset = load_dataset(config.dataset, data_dir, limit=limit)
    print(f"{dataset.name}: {len(dataset.test)} test images")
    runs, predictions, titles = {}, {}, {}
    for name, title in available:
        started = time.perf_counter()
        colorizer = load_colorizer(model_files[name], runtime="keras")  # with its chosen vividness and balance
        predictions[name] = predict_rgb(colorizer.model, dataset.test.gray, colorizer.vividness,
                                        own_rgb=colorizer.kind == RGB, balance=colorizer.balance)
        if name in bundled:
            titles[name] = f"{title} (bundled weights)"
        else:
            runs[name] = load_run(Path(runs_dir) / name, title)
        print(f"  predicted with {name} in {time.perf_counter() - started:.0f} s")
    results = evaluate_predictions(predictions, dataset)
    results = {titles.get(name, name): result for name, result in results.items()}
    predictions = {titles.get(name, name): prediction for name, prediction in predictions.items()}
    rows = results_rows(results, runs)
    header = f"{dataset.name}, test split, {len(dataset.test):,} images; produced by experiments/compare.py\n\n"
    write_text(header + markdown_table(rows), out_dir / "results.md")
    write_csv(rows, out_dir / "results.csv")
    per_class = []
    for metric in config.per_class_metrics:
        table = per_class_rows(results, runs, metric)
        write_csv(table, out_dir / f"results-per-class-{metric}.csv")
        per_class.append(f"### {metric}\n\n" + markdown_table(table))
    write_text(header + "\n".join(per_class), out_dir / "results-per-class.md")
    indices = figures.figure_indices(dataset.test.labels)[: config.grid_picks]
    figures.comparison_grid(
        dataset.test.gray[indices],
        {**{runs[name].title if name in runs else name: predictions[name][indices] for name in predictions},
         "original": dataset.test.rgb[indices]},
        out_dir / "comparison-grid.png",
        row_labels=[dataset.class_names[dataset.test.labels[i]] for i in indices],
    )
    # learning curves and per-epoch test PSNR are on each run's own data set: keep those of this one
    trained_here = {name: run for name, run in runs.items() if run.dataset == dataset.name}
    if trained_here:
        figures.learning_curves({run.title: run.history for run in trained_here.values()},
                                out_dir / "learning-curves.png")
        figures.quality_against_minutes(
            quality_curves(trained_here), out_dir / "quality-vs-minutes.png", "test PSNR (dB), 1,000 fixed test images",
            baseline=float(np.mean(_psnr_of_baseline(dataset))),
        )
    print(markdown_table(rows))
    print(f"wrote {out_dir}/results.md, results.csv, results-per-class.md and figures")
    return results


def _psnr_of_baseline(dataset):
    from colorize_cnn import color, metrics
    from colorize_cnn.data import balanced_subset
    from colorize_cnn.train import PROGRESS_IMAGES

    subset = balanced_subset(dataset.test.labels, min(PROGRESS_IMAGES, len(dataset.test)))
    return metrics.psnr_per_image(color.gray_to_rgb(dataset.test.gray[subset]), dataset.test.rgb[subset])
