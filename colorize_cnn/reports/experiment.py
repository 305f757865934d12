"""One experiment end to end: data -> train -> evaluate against the gray baseline -> figures.

Experiment scripts hold an ``ExperimentConfig`` and call ``main(CONFIG, sys.argv[1:])``.
TensorFlow is imported only once a run starts, so ``--help`` is fast.
"""

import argparse
import dataclasses
import os
from pathlib import Path

from colorize_cnn.config import DISTRIBUTIONS, LEARNING_RATE_SCHEDULES, PRECISIONS, TrainConfig
from colorize_cnn.distribution import JOIN_TIMEOUT
from colorize_cnn.files import METRICS_FILE, MODEL_FILE, README_ASSETS, RUNS_DIR


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    name: str  # also the run folder: runs/<name>
    figure_prefix: str  # README-assets/<prefix>1.png ...
    title: str
    train: TrainConfig
    dataset: str = "cifar10"  # a name in colorize_cnn.data.DATASETS, or a tuple of photo sets' names: one mix
    dataset_weights: tuple = ()  # a mix: how often each set is drawn (default: equally)
    figures: int = 3  # comparison figures, 4 fixed test images each
    # photo folders: the training crops' side (default: the working size, 64); the model's own
    # working size then (recorded beside it: decoding.choose_decoding)
    crop_size: int = None


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds (under a day), got {text[:20]!r}")
    return value


def _boolean(text):
    if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() in ("true", "1", "yes")


# every training knob but the model's identity is an option: --epochs, --learning-rate, ...
_TRAIN_OPTION_TYPES = {int: _positive_int, float: float, bool: _boolean, str: str}
_NOT_OPTIONS = ("model_name", "model_kwargs", "seed")
_NONE_DEFAULT_TYPES = {"initial_model": str}  # fields whose default None says nothing of their type
_CHOICES = {"learning_rate_schedule": LEARNING_RATE_SCHEDULES, "distribute": DISTRIBUTIONS, "precision": PRECISIONS}


def parse_args(config, argv):
    from colorize_cnn.data import DATA_ENV_VAR, DATASETS

    names = config.dataset if isinstance(config.dataset, tuple) else (config.dataset,)
    parser = argparse.ArgumentParser(
        description=f"{config.title}. Trains on {' + '.join(names)} on the CPU, evaluates on held-out images against "
        "the gray baseline, and writes comparison figures, a learning curve and metrics.json.",
    )
    parser.add_argument("--data", metavar="PATH", nargs=len(names) if len(names) > 1 else None, help=" ".join(
        DATASETS[name].__doc__.split("\n")[0] for name in names) + (f" One path for each, in this order: {', '.join(names)}."
        if len(names) > 1 else "") + f" Local copy of the data set (default for CIFAR-10: ${DATA_ENV_VAR}, else download).")
    if len(names) > 1:
        parser.add_argument("--dataset-weights", type=float, nargs=len(names), metavar="W",
                            default=config.dataset_weights or None, help="how often a training image is drawn from "
                            "each data set, in the order of --data (default: %(default)s; none: equally)")
    parser.add_argument("--limit", type=_positive_int, help="train and test on a class-balanced subset of this "
                        "many images per split (a quick run; figures never go to README-assets)")
    parser.add_argument("--out", type=Path, help=f"run folder for the model, history, metrics and figures "
                        f"(default: runs/{config.name}, or runs/{config.name}-limit<N> with --limit)")
    parser.add_argument("--choose-on", type=Path, nargs="+", metavar="FOLDER", help="folders of validation photos "
                        "(whole, any size) on each of which the model's default vividness and balance must hold (default: "
                        "vividness alone, on 2,000 training images)")
    parser.add_argument("--assets", type=Path, default=README_ASSETS, help="where a full run writes the "
                        "README's figures and metrics (default: %(default)s, relative to the current folder)")
    parser.add_argument("--seed", type=int, default=config.train.seed, help="default: %(default)s")
    parser.add_argument("--logical-cpus", type=_positive_int, metavar="N", help="split the CPU into N logical "
                        "devices first (to try --distribute devices on a machine without GPUs)")
    parser.add_argument("--coordinator", metavar="HOST:PORT", help="--distribute processes: the address of process "
                        "0, the same for every process (or $KERAS_DISTRIBUTION_JOB_ADDRESSES)")
    parser.add_argument("--num-processes", type=_positive_int, metavar="N", help="--distribute processes: how many "
                        "(or $KERAS_DISTRIBUTION_NUM_PROCESSES)")
    parser.add_argument("--process-id", type=int, metavar="I", help="--distribute processes: this one's, 0 to N-1 "
                        "(or $KERAS_DISTRIBUTION_PROCESS_ID); process 0 writes the run's files")
    parser.add_argument("--join-timeout", type=_positive_seconds, default=JOIN_TIMEOUT, metavar="SECONDS",
                        help="--distribute processes: how long the processes wait for each other at the start "
                        "(default: %(default)s)")
    for field in dataclasses.fields(config.train):
        default = getattr(config.train, field.name)
        if field.name in _NOT_OPTIONS:
            continue
        kind = _TRAIN_OPTION_TYPES.get(type(default), _NONE_DEFAULT_TYPES.get(field.name, _positive_int))
        parser.add_argument("--" + field.name.replace("_", "-"), type=kind, default=default,
                            choices=_CHOICES.get(field.name), help="default: %(default)s")
    return parser.parse_args(argv)


def main(config, argv=None):
    """Command-line entry point of an experiment script; returns the exit status."""
    from colorize_cnn import distribution
    from colorize_cnn.errors import report_errors

    args = parse_args(config, argv)
    overrides = {field.name: getattr(args, field.name) for field in dataclasses.fields(config.train)
                 if field.name not in ("model_name", "model_kwargs")}
    out_dir = args.out or RUNS_DIR / (config.name + (f"-limit{args.limit}" if args.limit else ""))
    with report_errors() as status, distribution.parting():
        config = dataclasses.replace(config, train=dataclasses.replace(config.train, **overrides),  # the one place
                                     dataset_weights=tuple(getattr(args, "dataset_weights", None) or ()))
        if args.logical_cpus:
            distribution.use_logical_cpus(args.logical_cpus)
        distribution.set_process_environment(args.coordinator, args.num_processes, args.process_id, args.join_timeout)
        if config.train.distribute == "processes":
            distribution.process_settings()  # a bad --coordinator or --process-id: refused before the data is read
        run(config, data_dir=args.data, limit=args.limit, out_dir=out_dir, assets_dir=args.assets,
            choice_photos=args.choose_on)
    return status.code


def run(config, data_dir=None, limit=None, out_dir=None, assets_dir=None, choice_photos=None):
    """Runs the experiment; returns the metrics dict that it also writes to ``out_dir/metrics.json``.

    Figures and metrics also go to ``assets_dir`` (the README's) after a full run on the whole
    data set (no ``limit``). The model's default vividness and balance are chosen on ``choice_photos``
    (folders of validation photos; they must hold on each) if given, else its vividness on training
    images; the choice is saved beside the model.
    """
    from colorize_cnn import decoding, evaluate, files, heads
    from colorize_cnn.data import load_dataset, load_photos
    from colorize_cnn.files import check_writable_folder, write_json
    from colorize_cnn.train import train

    out_dir = check_writable_folder(out_dir or RUNS_DIR / config.name)  # before any work: a bad --out says so at once
    if assets_dir is not None and limit is None:
        check_writable_folder(assets_dir, "figures folder", "--assets")
    dataset = load_dataset(config.dataset, data_dir, limit=limit, seed=config.train.seed,
                           weights=config.dataset_weights or None, crop_size=config.crop_size)
    print(f"{dataset.name} from {dataset.source}: {dataset_sizes(dataset)}")
    model, history = train(config.train, dataset, out_dir)
    if config.train.distribute == "processes":  # each says what it ended with (the same, if all went well)
        import numpy as np

        print(f"process {os.environ.get('KERAS_DISTRIBUTION_PROCESS_ID')}: training done; weights checksum "
              f"{sum(float(np.abs(w).astype(np.float64).sum()) for w in model.get_weights()):.9g}", flush=True)
        if os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID", "0") != "0":
            return None  # process 0 evaluates and writes the report
    # the epochs' own wall times (validation included), also right for a run resumed or finished before
    train_seconds = sum(history.get("epoch_seconds", []))
    report = {
        "experiment": config.name,
        "model_name": config.train.model_name,
        "model_kwargs": dict(config.train.model_kwargs),
        "parameters": int(model.count_params()),
        "output": heads.output_kind(model),
        "dataset": dataset.name,
        "data_source": dataset.source,
        "train_images": dataset.train_size,
        "test_images": len(dataset.test),
        "epochs": config.train.epochs,
        "batch_size": config.train.batch_size,
        "seed": config.train.seed,
        "train_wall_seconds": round(train_seconds, 1),
        "epoch_seconds": history.get("epoch_seconds", []),
    }
    photos = None if not choice_photos else {str(folder): load_photos(folder)[1] for folder in choice_photos}
    choice = decoding.choose_decoding(model, dataset, seed=config.train.seed, photos=photos,
                                      working_size=config.crop_size)
    files.write_decoding(choice, out_dir / MODEL_FILE)
    predicted = heads.predict_rgb(model, dataset.test.gray, choice["vividness"],
                                  own_rgb=heads.output_kind(model) == heads.RGB, balance=choice["balance"])
    results = evaluate.evaluate_predictions({"model": predicted}, dataset)
    report.update({"decoding": choice, "model": results["model"], "gray_baseline": results[evaluate.BASELINE]})
    write_json(report, out_dir / METRICS_FILE)
    _write_figures(config, dataset, predicted, history, out_dir)
    full_run = limit is None and assets_dir is not None
    if full_run:
        _write_figures(config, dataset, predicted, history, assets_dir)
        write_json(report, Path(assets_dir) / f"{config.figure_prefix}-metrics.json")
    _print_summary(report, out_dir, assets_dir if full_run else None)
    return report


def dataset_sizes(dataset):
    skipped = getattr(dataset, "skipped_gray", 0)
    return (f"{dataset.train_size} training, {len(dataset.test)} test images"
            + (f", {skipped} gray images skipped" if skipped else ""))


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


def _print_summary(report, out_dir, assets_dir):
    from colorize_cnn.reports.tables import METRICS, columns

    print(f"\n{report['experiment']}: {report['train_wall_seconds'] / 60:.1f} min training, "
          f"{report['parameters']:,} parameters, {report['dataset']} test split ({report['test_images']} images)")
    for name, label in columns(*METRICS).items():
        print(f"  {label:16s} model {report['model']['mean'][name]:8.3f}   gray baseline "
              f"{report['gray_baseline']['mean'][name]:8.3f}")
    print(f"wrote {out_dir}/" + (f" and {assets_dir}/" if assets_dir else " (not README-assets: a --limit run)"))
