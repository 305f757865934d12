"""Training: targets for each kind of model, ``model.fit`` with resumable checkpoints, history CSV."""

import dataclasses
import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from colorize_cnn import color, heads
from colorize_cnn.config import TrainConfig  # noqa: F401  (re-exported: the training module's config)
from colorize_cnn.data import PhotoSet, balanced_subset, photo_batches, training_ab_prior
from colorize_cnn.files import BACKUP_DIR, CONFIG_FILE, HISTORY_FILE, MODEL_FILE, atomic_output, write_json
from colorize_cnn.models import build_model

PROGRESS_IMAGES = 1000  # fixed held-out images whose PSNR is logged after every epoch


def in_memory_batches(inputs, targets, batch_size=32, shuffle=False, seed=0):
    """A ``tf.data.Dataset`` of ``(inputs, targets)`` batches from in-memory arrays (``targets`` may
    be a dict of arrays, one per output),
    reshuffled every epoch when ``shuffle`` (the last batch may be smaller, as in ``model.fit``).

    Why not ``model.fit(arrays)``: Keras's array pipeline runs tf.data's autotuner, whose threads
    compete with training for a 2-core CPU; in about 40% of epochs every step then idled 30 ms
    (103 instead of 70 ms per step for conv -> flatten -> dense, CPU time unchanged). A fixed
    one-batch prefetch with the autotuner off never showed it (benchmarks/train_throughput.py).
    """
    import tensorflow as tf

    tensors = tf.nest.map_structure(tf.constant, (inputs, targets))
    indices = tf.data.Dataset.range(len(inputs))
    if shuffle:
        indices = indices.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch_size).map(
        lambda index: tf.nest.map_structure(lambda tensor: tf.gather(tensor, index), tensors)
    )
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(1).with_options(options)


class EpochClock(keras.callbacks.Callback):
    """Adds ``epoch_seconds`` (training + validation wall time) and, if given, ``test_psnr`` on a
    fixed set of test images to each epoch's logs, so the history CSV can draw quality against time.
    """

    def __init__(self, gray=None, rgb=None, vividness=0.0):
        super().__init__()
        self.gray, self.rgb, self.vividness = gray, rgb, vividness

    @property
    def _own_rgb(self):
        return heads.output_kind(self.model) == heads.RGB  # the original experiments' own RGB

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_seconds"] = time.perf_counter() - self.started
        if self.gray is not None:
            predicted = heads.predict_rgb(self.model, self.gray, self.vividness, own_rgb=self._own_rgb)
            mse = np.mean((predicted - self.rgb) ** 2, axis=(1, 2, 3))
            logs["test_psnr"] = float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-10))))


def train(config, dataset, out_dir, verbose="auto"):
    """Trains ``config.model_name`` on ``dataset``'s training images, validating on held-out ones.

    ``dataset`` is a ``Cifar10`` (in-memory arrays) or a ``PhotoSet`` (images decoded, cropped and
    flipped in a tf.data pipeline). Writes into ``out_dir``: ``history.csv`` (one row per epoch:
    losses, ``epoch_seconds``, ``test_psnr`` on ``PROGRESS_IMAGES`` fixed, class-balanced held-out
    images) and ``model.keras`` (the trained network without optimizer state). An interrupted run
    resumes from ``out_dir/backup`` when started again.

    Returns:
        (trained model, history dict of column -> list per epoch).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    backup_dir, history_path = out_dir / BACKUP_DIR, out_dir / HISTORY_FILE
    config_path, model_path = out_dir / CONFIG_FILE, out_dir / MODEL_FILE
    recorded = dataclasses.asdict(config)
    recorded["model_kwargs"] = [list(item) for item in config.model_kwargs]
    same_config = config_path.exists() and json.loads(config_path.read_text()) == recorded
    if same_config and model_path.exists() and not backup_dir.exists() and history_path.exists():
        history = read_history(history_path)
        if len(history.get("loss", [])) == config.epochs:  # finished before; evaluation was interrupted
            return keras.saving.load_model(model_path, compile=False), history
    if not backup_dir.exists() and history_path.exists():
        history_path.unlink()  # a fresh run, not a resumed one
    write_json(recorded, config_path)
    model, kind, stride = _compiled_model(config, lambda: training_ab_prior(dataset, seed=config.seed),
                                          -(-dataset.train_size // config.batch_size))
    if isinstance(dataset, PhotoSet):
        def targets(rgb):
            return color.rgb_to_gray(rgb), heads.fit_targets(kind, rgb, stride)

        training = photo_batches(dataset.train_images, dataset.crop_size, config.batch_size, targets,
                                 shuffle=True, seed=config.seed)
    else:
        training = in_memory_batches(dataset.train.gray, heads.fit_targets(kind, dataset.train.rgb, stride),
                                     config.batch_size, shuffle=True, seed=config.seed)
    test = dataset.test
    held_out = balanced_subset(test.labels, min(config.validation_images or len(test), len(test)), config.seed)
    validation = in_memory_batches(test.gray[held_out], heads.fit_targets(kind, test.rgb[held_out], stride),
                                   batch_size=config.batch_size)
    # a fixed, class-balanced set of held-out images (the image-folder copy is sorted by class)
    progress = balanced_subset(test.labels, min(PROGRESS_IMAGES, len(test)))
    model.fit(
        training,
        validation_data=validation,
        epochs=config.epochs,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=verbose,
        callbacks=[
            EpochClock(test.gray[progress], test.rgb[progress], config.progress_vividness),
            keras.callbacks.CSVLogger(str(history_path), append=True),
            # kept until model.keras is saved: a kill between the end of fit and the save loses nothing
            keras.callbacks.BackupAndRestore(str(backup_dir), delete_checkpoint=False),
        ],
    )
    final = keras.Model(model.input, model.output, name=model.name)  # no optimizer state
    save_model(final, out_dir / MODEL_FILE)
    shutil.rmtree(backup_dir, ignore_errors=True)
    return final, read_history(history_path)


def train_on_arrays(config, rgb, verbose=0):
    """Trains ``config.model_name`` on in-memory photos with Keras's own array input: no TensorFlow
    (``train`` streams through tf.data), so it runs on any Keras backend, e.g. JAX on a GPU machine
    (``experiments/photo_recipes.py``). Same model, targets, loss, optimizer and schedule as
    ``train``; each epoch a random half of the images is flipped left-right. No checkpoints.

    Args:
        rgb: float32 ``(N, S, S, 3)`` in [0, 1].
    Returns:
        The trained model.
    """
    model, kind, stride = _compiled_model(config, lambda: color.ab_bin_prior(color.rgb_to_lab(rgb)[..., 1:]),
                                          -(-len(rgb) // config.batch_size))
    gray, targets = color.rgb_to_gray(rgb), heads.fit_targets(kind, rgb, stride)
    rng = np.random.default_rng(config.seed)
    for epoch in range(config.epochs):
        flip = rng.random(len(rgb)) < 0.5

        def flipped(array):
            return np.where(flip.reshape(-1, *[1] * (array.ndim - 1)), array[:, :, ::-1], array)

        model.fit(flipped(gray), keras.tree.map_structure(flipped, targets), batch_size=config.batch_size,
                  epochs=epoch + 1, initial_epoch=epoch, shuffle=True, verbose=verbose)
    return model


def _compiled_model(config, ab_prior, steps_per_epoch):
    """The seeded, compiled model of ``config``; ``ab_prior()`` gives the training set's ab-bin
    frequencies (computed only for bin classifiers). Returns (model, output kind, output stride)."""
    keras.utils.set_random_seed(config.seed)
    model = build_model(config.model_name, **dict(config.model_kwargs))
    kind, stride = heads.output_kind(model), heads.output_stride(model)
    bin_weights = None
    if kind in (heads.AB_BINS, heads.TWO_HEADS):
        bin_weights = color.rebalancing_weights(ab_prior(), config.rebalance_mix)
    loss, loss_weights = heads.training_loss(kind, bin_weights)
    model.compile(optimizer=keras.optimizers.Adam(_learning_rate(config, steps_per_epoch)), loss=loss,
                  loss_weights=loss_weights, jit_compile=config.jit_compile,
                  steps_per_execution=config.steps_per_execution)
    return model, kind, stride


def _learning_rate(config, steps_per_epoch):
    if config.learning_rate_schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(config.learning_rate, config.epochs * steps_per_epoch)
    return config.learning_rate


def save_model(model, path):
    with atomic_output(path) as temporary:
        model.save(temporary)


def read_history(path):
    """history.csv -> dict of column -> list of floats (one per epoch)."""
    import csv

    with open(path, newline="") as file_object:
        rows = list(csv.DictReader(file_object))
    return {column: [float(row[column]) for row in rows] for column in (rows[0] if rows else {})}
