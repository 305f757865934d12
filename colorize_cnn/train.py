"""Training: targets for each kind of model, ``model.fit`` with resumable checkpoints, history CSV."""

import dataclasses
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from colorize_cnn import color
from colorize_cnn.data import balanced_subset
from colorize_cnn.files import atomic_output
from colorize_cnn.models import AnnealedMeanAB, build_model, with_ab_decoding

HISTORY_FILE = "history.csv"
MODEL_FILE = "model.keras"
BACKUP_DIR = "backup"


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What to train and how; the defaults are the original experiments' (batch 32, 10 epochs, Adam)."""

    model_name: str
    model_kwargs: tuple = ()  # (("filters", 8),): a tuple so the config stays hashable and frozen
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 0
    jit_compile: bool = True  # XLA: 1.7–1.8x faster on a 2-core CPU (benchmarks/train_throughput.py)
    # Training steps per call into TensorFlow: the same updates with less Python overhead. It pays
    # for small models (flatten -> dense: +30–40%) and made no measurable difference for the 25M-weight
    # ones (benchmarks/train_throughput.py), so experiments choose it.
    steps_per_execution: int = 1
    rebalance_mix: float = 0.5  # classification only: Zhang et al.'s uniform mix (1 = no rebalancing)
    temperature: float = 0.38  # classification only: annealed-mean decoding

    def __post_init__(self):
        for field in ("epochs", "batch_size", "steps_per_execution"):
            value = getattr(self, field)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{field} must be a positive integer. Received: {field}={value!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive. Received: learning_rate={self.learning_rate}")


def output_kind(model):
    """'rgb', 'ab' or 'ab_bins', from the number of output channels (see ``colorize_cnn.models``)."""
    channels = model.output_shape[-1]
    kinds = {3: "rgb", 2: "ab", color.NUM_AB_BINS: "ab_bins"}
    if channels not in kinds or model.input_shape[-1] != 1:
        raise ValueError(
            f"model {model.name!r} is not a colorizer: it maps {model.input_shape} to {model.output_shape}, "
            "but a colorizer maps gray (..., 1) to RGB (..., 3), ab (..., 2) or ab bins."
        )
    return kinds[channels]


def fit_targets(kind, split, bin_weights=None):
    """(targets, per-pixel sample weights or None) for a split, for a model of output ``kind``."""
    if kind == "rgb":
        return split.rgb, None
    ab = color.rgb_to_lab(split.rgb)[..., 1:]
    if kind == "ab":
        return ab, None
    bins = color.ab_to_bin(ab)
    return bins, bin_weights[bins]


def in_memory_batches(inputs, targets, sample_weight=None, batch_size=32, shuffle=False, seed=0):
    """A ``tf.data.Dataset`` of ``(inputs, targets[, sample_weight])`` batches from in-memory arrays,
    reshuffled every epoch when ``shuffle`` (the last batch may be smaller, as in ``model.fit``).

    Why not ``model.fit(arrays)``: Keras's array pipeline runs tf.data's autotuner, whose threads
    compete with training for a 2-core CPU; in about 40% of epochs every step then idled 30 ms
    (103 instead of 70 ms per step for conv -> flatten -> dense, CPU time unchanged). A fixed
    one-batch prefetch with the autotuner off never showed it (benchmarks/train_throughput.py).
    """
    import tensorflow as tf

    arrays = tuple(tf.constant(array) for array in (inputs, targets, sample_weight) if array is not None)
    indices = tf.data.Dataset.range(len(inputs))
    if shuffle:
        indices = indices.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch_size).map(lambda index: tuple(tf.gather(array, index) for array in arrays))
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(1).with_options(options)


def _loss_for(kind):
    return {"rgb": "mse", "ab": "mae", "ab_bins": "sparse_categorical_crossentropy"}[kind]


def inference_model(model, temperature):
    """The model that maps gray to RGB or ab (weights shared, not compiled, so no optimizer state
    is saved with it): bin classifiers get annealed-mean decoding."""
    if output_kind(model) == "ab_bins":
        return with_ab_decoding(model, temperature)
    return keras.Model(model.inputs, model.outputs, name=model.name)


def predict_rgb(model, gray, batch_size=256):
    """Colours a batch of gray images at the model's own size: ``(N, H, W, 1)`` -> ``(N, H, W, 3)`` in [0, 1].

    ab models keep the input's lightness exactly; RGB models give their own output.
    """
    predicted = np.asarray(model.predict(gray, batch_size=batch_size, verbose=0), dtype=np.float32)
    kind = output_kind(model)
    if kind == "rgb":
        return np.clip(predicted, 0.0, 1.0)
    if kind == "ab_bins":
        raise ValueError("wrap a bin classifier with inference_model() before predicting colours.")
    lightness = color.gray_to_lightness(gray)
    return color.lab_to_rgb_keeping_lightness(np.concatenate([lightness, predicted], axis=-1))


class EpochClock(keras.callbacks.Callback):
    """Adds ``epoch_seconds`` (training + validation wall time) and, if given, ``test_psnr`` on a
    fixed set of test images to each epoch's logs, so the history CSV can draw quality against time.
    """

    def __init__(self, gray=None, rgb=None, temperature=0.38):
        super().__init__()
        self.gray, self.rgb, self.temperature = gray, rgb, temperature

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_seconds"] = time.perf_counter() - self.started
        if self.gray is not None:
            predicted = predict_rgb(inference_model(self.model, self.temperature), self.gray)
            mse = np.mean((predicted - self.rgb) ** 2, axis=(1, 2, 3))
            logs["test_psnr"] = float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-10))))


def train(config, dataset, out_dir, progress_images=1000, verbose="auto"):
    """Trains ``config.model_name`` on ``dataset.train``, validating on ``dataset.test``.

    Writes into ``out_dir``: ``history.csv`` (one row per epoch: losses, ``epoch_seconds``,
    ``test_psnr`` on ``progress_images`` fixed, class-balanced test images) and ``model.keras`` (the inference
    model). An interrupted run resumes from ``out_dir/backup`` when started again.

    Returns:
        (inference model, history dict of column -> list per epoch).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    backup_dir, history_path = out_dir / BACKUP_DIR, out_dir / HISTORY_FILE
    if not backup_dir.exists() and history_path.exists():
        history_path.unlink()  # a fresh run, not a resumed one
    keras.utils.set_random_seed(config.seed)
    model = build_model(config.model_name, **dict(config.model_kwargs))
    kind = output_kind(model)
    bin_weights = None
    if kind == "ab_bins":
        prior = color.ab_bin_prior(color.rgb_to_lab(dataset.train.rgb)[..., 1:])
        bin_weights = color.rebalancing_weights(prior, config.rebalance_mix)
    train_targets, train_weights = fit_targets(kind, dataset.train, bin_weights)
    test_targets, test_weights = fit_targets(kind, dataset.test, bin_weights)
    validation = in_memory_batches(dataset.test.gray, test_targets, test_weights, batch_size=config.batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=_loss_for(kind),
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
    )
    # a fixed, class-balanced set of test images (the image-folder copy is sorted by class)
    progress = balanced_subset(dataset.test.labels, min(progress_images, len(dataset.test)))
    model.fit(
        in_memory_batches(
            dataset.train.gray, train_targets, train_weights, config.batch_size, shuffle=True, seed=config.seed
        ),
        validation_data=validation,
        epochs=config.epochs,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=verbose,
        callbacks=[
            EpochClock(dataset.test.gray[progress], dataset.test.rgb[progress], config.temperature),
            keras.callbacks.CSVLogger(str(history_path), append=True),
            keras.callbacks.BackupAndRestore(str(backup_dir)),
        ],
    )
    final = inference_model(model, config.temperature)
    save_model(final, out_dir / MODEL_FILE)
    shutil.rmtree(backup_dir, ignore_errors=True)
    return final, read_history(history_path)


def save_model(model, path):
    with atomic_output(path) as temporary:
        model.save(temporary)


def read_history(path):
    """history.csv -> dict of column -> list of floats (one per epoch)."""
    import csv

    with open(path, newline="") as file_object:
        rows = list(csv.DictReader(file_object))
    return {column: [float(row[column]) for row in rows] for column in (rows[0] if rows else {})}


def set_temperature(model, temperature):
    """A copy of a decoded classifier with another annealing temperature (weights shared)."""
    decoder = next(layer for layer in model.layers if isinstance(layer, AnnealedMeanAB))
    return with_ab_decoding(keras.Model(model.input, decoder.input, name=model.name), temperature)


def choose_temperature(model, split, candidates=(0.05, 0.1, 0.2, 0.3, 0.38, 0.5, 0.7, 1.0)):
    """Picks the annealing temperature of a decoded bin classifier on ``split`` (training images,
    never the test split): the most colourful (lowest) temperature whose mean PSNR is still at
    least the gray baseline's; if none reaches it, the temperature with the best PSNR.

    Returns:
        (temperature, {"gray_psnr": ..., "truth_colourfulness": ..., "<T>": {"psnr": ..., "colourfulness": ...}}).
    """
    from colorize_cnn.metrics import colourfulness_per_image, psnr_per_image

    gray_psnr = float(psnr_per_image(color.gray_to_rgb(split.gray), split.rgb).mean())
    scores = {}
    for temperature in candidates:
        predicted = predict_rgb(set_temperature(model, temperature), split.gray)
        scores[temperature] = {
            "psnr": float(psnr_per_image(predicted, split.rgb).mean()),
            "colourfulness": float(colourfulness_per_image(predicted).mean()),
        }
    above_gray = [t for t in candidates if scores[t]["psnr"] >= gray_psnr]
    best = min(above_gray) if above_gray else max(candidates, key=lambda t: scores[t]["psnr"])
    summary = {"gray_psnr": gray_psnr, "truth_colourfulness": float(colourfulness_per_image(split.rgb).mean())}
    return best, {**summary, **{str(t): value for t, value in scores.items()}}
