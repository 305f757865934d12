"""Training: targets for each kind of model, ``model.fit`` with resumable checkpoints, history CSV."""

import dataclasses
import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from colorize_cnn import color, distribution, heads
from colorize_cnn.config import CLASS_OUTPUT, TrainConfig  # noqa: F401  (TrainConfig re-exported)
from colorize_cnn.data import PhotoSet, balanced_subset, in_memory_batches, photo_batches, training_ab_prior
from colorize_cnn.errors import UserError
from colorize_cnn.files import (BACKUP_DIR, CONFIG_FILE, HISTORY_FILE, MODEL_FILE, atomic_output, stale_temporaries,
                                write_json)
from colorize_cnn.models import build_model, transfer_weights, with_class_head, without_class_head
from colorize_cnn.recolour import training_pair

PROGRESS_IMAGES = 1000  # fixed held-out images whose PSNR is logged after every epoch


class EpochClock(keras.callbacks.Callback):
    """Adds ``epoch_seconds`` (training + validation wall time) and, if given, ``test_psnr`` on a
    fixed set of test images to each epoch's logs, so the history CSV can draw quality against time.
    """

    def __init__(self, gray=None, rgb=None, vividness=0.0):
        super().__init__()
        self.gray, self.rgb, self.vividness = gray, rgb, vividness

    @property
    def _own_rgb(self):
        return heads.output_kind(self.colorizer) == heads.RGB  # the original experiments' own RGB

    def on_train_begin(self, logs=None):
        self.colorizer = without_class_head(self.model)  # the same layers, without a training-only head

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_seconds"] = time.perf_counter() - self.started
        if self.gray is not None:
            with distribution.local():  # each process measures on its own copy of the images
                predicted = heads.predict_rgb(self.colorizer, self.gray, self.vividness, own_rgb=self._own_rgb)
            mse = np.mean((predicted - self.rgb) ** 2, axis=(1, 2, 3))
            logs["test_psnr"] = float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-10))))


class TrainingDiskFullError(UserError, OSError):
    """No room on the disk for the next training backup; the last complete one is kept."""


class TrainingDivergedError(UserError):
    """The training loss became NaN or infinite; the last complete backup is kept."""


def check_finite(name, *arrays):
    """Refuses training images that hold NaN or infinite values, before any training."""
    for array in arrays:
        if np.issubdtype(np.asarray(array).dtype, np.floating) and not np.isfinite(array).all():
            bad = np.flatnonzero(~np.isfinite(np.asarray(array)).reshape(len(array), -1).all(axis=1))
            raise UserError(f"{name} holds NaN or infinite values ({len(bad)} image(s), the first at index {bad[0]}): "
                            "training on them would make every weight NaN. Fix or drop those images.")


class EpochCheckpoints(keras.callbacks.Callback):
    """Training that survives a kill or a full disk at any instant, and never resumes from a
    damaged backup.

    After each epoch, the weights and optimizer state go to ``backup/epoch-NNNN.weights.h5`` through
    a temporary file that is flushed to disk and then renamed into place; only then is the previous
    epoch's file removed. The epoch is in the file's name, so no second file can disagree with it.
    ``restore`` (before ``fit``) loads the newest backup that loads, reports and sets aside a damaged
    one (``.damaged``) and tries the one before; removes what a killed write left; and cuts
    ``history.csv`` back to the epochs restored, so the history always matches the weights.
    Before writing, it checks the disk has room for a backup (the last one's size, twice over),
    and stops with a message naming the epoch training will resume from if not.
    """

    PATTERN = "epoch-*.weights.h5"
    # A loss that turns NaN or infinite stops the run at once (``TrainingDivergedError``), before a
    # backup of the broken weights could replace the last good one.

    def __init__(self, backup_dir, history_path, writer=True):
        super().__init__()
        self.backup_dir, self.history_path, self.writer = Path(backup_dir), Path(history_path), writer

    def _backups(self):
        return sorted(self.backup_dir.glob(self.PATTERN), reverse=True)  # newest first (zero-padded)

    def restore(self, model):
        """Loads the newest good backup into ``model`` (compiled); returns the epochs it completed.
        Under several processes each loads the same file; only the writer tidies and reports."""
        for leftover in self.backup_dir.glob(".epoch-*") if self.writer else ():  # a write cut short by a kill
            leftover.unlink(missing_ok=True)
        for path in self._backups():
            try:
                if model.optimizer is not None and not model.optimizer.built:
                    model.optimizer.build(model.trainable_variables)
                model.load_weights(path)
            except Exception as error:  # any failure to read is a damaged file; never train on it
                if self.writer:
                    print(f"training backup {path} is damaged ({type(error).__name__}: {error}); set aside as "
                          f"{path.name}.damaged, trying the one before")
                    path.rename(path.with_name(path.name + ".damaged"))
                continue
            epochs = int(path.name[len("epoch-"):len("epoch-") + 4])
            if self.writer:
                self._cut_history(epochs)
                print(f"resumed from {path}: {epochs} epochs done")
            return epochs
        if self.writer:
            self._cut_history(0)
        return 0

    def _cut_history(self, epochs):
        if not self.history_path.exists():
            return
        lines = self.history_path.read_text().splitlines(keepends=True)
        if len(lines) <= epochs + 1 and all(line.endswith("\n") for line in lines):
            return
        if epochs == 0:
            self.history_path.unlink()
            return
        with atomic_output(self.history_path) as temporary:
            temporary.write_text("".join(lines[: epochs + 1]))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            kept = sorted(self.backup_dir.glob(self.PATTERN))
            print(flush=True)
            raise TrainingDivergedError(
                f"the training loss became {float(loss)} in epoch {self.epoch + 1} (step {batch + 1}): training diverged. "
                + (f"The backup of epoch {kept[-1].name[6:10].lstrip('0')} is kept, but resuming would diverge again: "
                   if kept else "") + "lower --learning-rate, or check the training images.")

    def on_epoch_end(self, epoch, logs=None):
        if not np.isfinite(float((logs or {}).get("loss", 0.0))):
            self.on_train_batch_end(0, logs)
        path = self.backup_dir / f"epoch-{epoch + 1:04d}.weights.h5"
        if not self.writer:  # it takes part in the save; process 0 writes the file
            save_model(self.model, path, writer=False)
            return
        previous = self._backups()
        needed = 2 * (previous[0].stat().st_size if previous else 4 * 3 * self.model.count_params())
        free = shutil.disk_usage(self.backup_dir if self.backup_dir.exists() else self.backup_dir.parent).free
        message = (f"Free some space and run the same command again: training resumes after epoch {epoch} "
                   "from the last backup kept." if previous else "Free some space and run the command again.")
        if free < needed:
            print(flush=True)  # off the progress bar's line
            raise TrainingDiskFullError(f"not enough disk space for the training backup in {self.backup_dir}: "
                                        f"{free / 2**20:.0f} MB free, about {needed / 2**20:.0f} MB needed. {message}")
        try:
            with atomic_output(path, durable=True) as temporary:
                self.model.save_weights(temporary)
        except OSError as error:
            print(flush=True)
            raise TrainingDiskFullError(f"could not write the training backup {path} ({error}). {message}") from None
        for older in previous:
            older.unlink(missing_ok=True)


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
    _check_inputs(config, dataset)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    backup_dir, history_path = out_dir / BACKUP_DIR, out_dir / HISTORY_FILE
    config_path, model_path = out_dir / CONFIG_FILE, out_dir / MODEL_FILE
    recorded = dataclasses.asdict(config)
    recorded["model_kwargs"] = [list(item) for item in config.model_kwargs]
    del recorded["distribute"]  # the same run, whichever devices it trains on
    # several processes: joined here, before any decision, and refused if their runs differ
    scope = distribution.scope(config.distribute, settings=[recorded, dataset.name, dataset.train_size,
                                                              len(dataset.test)])
    batch_size, shard = distribution.shard(config.batch_size)  # a batch the devices or processes cannot share: refused
    shard = None if batch_size == config.batch_size else shard
    writer = distribution.is_writer()  # process 0 alone decides, writes and removes; the others follow
    same_config = config_path.exists() and _same_run(json.loads(config_path.read_text()), recorded)
    finished = (same_config and model_path.exists() and history_path.exists()
                and len(read_history(history_path).get("loss", [])) == config.epochs)
    if distribution.agree(finished):  # finished before; evaluation was interrupted
        if writer:
            shutil.rmtree(backup_dir, ignore_errors=True)  # what a kill while removing it left
        keras.distribution.set_distribution(None)
        distribution.leave()
        return keras.saving.load_model(model_path, compile=False), read_history(history_path)
    if writer and not same_config and backup_dir.exists():  # another run's backup: it cannot continue this one
        print(f"training settings differ from the unfinished run in {out_dir}: starting afresh")
        shutil.rmtree(backup_dir)
    if writer:
        write_json(recorded, config_path)
        for leftover in stale_temporaries([model_path]):  # a save cut short by a kill
            leftover.unlink(missing_ok=True)
    distribution.agree(True)  # every process waits until process 0 has tidied the run folder
    steps_per_epoch = config.steps_per_epoch or -(-dataset.train_size // config.batch_size)
    model, kind, stride = _compiled_model(config, lambda: training_ab_prior(dataset, seed=config.seed),
                                          steps_per_epoch, scope, classes=len(getattr(dataset, "class_names", ())))
    training, validation, endless = _streams(config, dataset, model, kind, stride, shard)
    test = dataset.test
    # a fixed, class-balanced set of held-out images (the image-folder copy is sorted by class)
    progress = balanced_subset(test.labels, min(PROGRESS_IMAGES, len(test)))
    checkpoints = EpochCheckpoints(backup_dir, history_path, writer)
    with distribution.watched():  # a process lost meanwhile: its one line, not a failed collective's traceback
        fitted = model.fit(
            training,
            validation_data=validation,
            epochs=config.epochs,
            steps_per_epoch=steps_per_epoch if endless else None,
            initial_epoch=checkpoints.restore(model),  # 0, or the epochs of the newest good backup
            shuffle=False,  # the dataset reshuffles itself every epoch
            verbose=verbose if writer else 0,
            callbacks=[
                EpochClock(test.gray[progress], test.rgb[progress], config.progress_vividness),
                *([keras.callbacks.CSVLogger(str(history_path), append=True)] if writer else []),
                checkpoints,  # kept until model.keras is saved: a kill between fit and the save loses nothing
            ],
        )
    final = without_class_head(model)  # no optimizer state, no training-only head
    if keras.distribution.distribution() is not None:  # JAX: from here on each process works alone
        final = distribution.local_copy(final)
    if not writer:
        return final, fitted.history
    save_model(final, out_dir / MODEL_FILE)
    shutil.rmtree(backup_dir, ignore_errors=True)
    return final, read_history(history_path)


def _check_inputs(config, dataset):
    """Refuses, before anything is written, what cannot train: steps per epoch on in-memory images,
    and non-finite arrays (from the Python API; decoded photos are always finite)."""
    if config.steps_per_epoch and not isinstance(dataset, PhotoSet):
        raise UserError(f"steps_per_epoch is for photo data sets (streamed); {type(dataset).__name__} trains on "
                        "whole passes over its images.")
    if config.class_loss_weight and not any(label >= 0 for label in getattr(dataset, "train_labels", ())):
        raise UserError(f"class_loss_weight needs training images with class labels (tiny_imagenet, alone or in a "
                        f"mix); {dataset.name} has none.")
    if not isinstance(dataset, PhotoSet):
        check_finite("the training images", dataset.train.rgb, dataset.train.gray)
        check_finite("the held-out images", dataset.test.rgb, dataset.test.gray)


def _streams(config, dataset, model, kind, stride, shard):
    """The training batches (photo sets streamed with simulated hints, in-memory images shuffled),
    the validation batches (the same simulated hints every epoch) and whether training is endless
    (``model.fit`` then counts ``steps_per_epoch``)."""
    takes_hints = heads.takes_hints(model)
    endless = False  # a stream without end: model.fit counts steps_per_epoch
    if isinstance(dataset, PhotoSet):
        endless = bool(dataset.mix or config.steps_per_epoch)
        rng = np.random.default_rng(config.seed)  # simulated hints: new ones for every batch

        def targets(rgb):
            return training_pair(config, kind, stride, takes_hints, rgb, rng)

        training = photo_batches(dataset.train_images, dataset.crop_size, config.batch_size, targets, shuffle=True,
                                 seed=config.seed, shard=shard, mix=dataset.mix, repeat=endless,
                                 labels=dataset.train_labels if config.class_loss_weight else None)
    elif takes_hints:
        raise UserError(f"{config.model_name} learns from hints simulated on photos; train it on a photo data set "
                        f"(tiny_imagenet or photo_folder), not {type(dataset).__name__}.")
    else:
        training = in_memory_batches(dataset.train.gray, heads.fit_targets(kind, dataset.train.rgb, stride),
                                     config.batch_size, shuffle=True, seed=config.seed, shard=shard)
    test = dataset.test
    held_out = balanced_subset(test.labels, min(config.validation_images or len(test), len(test)), config.seed)
    inputs, targets = training_pair(config, kind, stride, takes_hints, test.rgb[held_out], np.random.default_rng(config.seed))
    if config.class_loss_weight:  # the held-out images of a class that has training labels keep theirs
        labels = test.labels[held_out]
        targets[CLASS_OUTPUT] = np.where(np.isin(labels, dataset.train_labels), labels, -1)
    validation = in_memory_batches(inputs, targets, batch_size=config.batch_size, shard=shard)  # the same hints each epoch
    return training, validation, endless


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
    if config.class_loss_weight:
        raise UserError("class_loss_weight needs labelled photos; train_on_arrays takes colours alone (use train).")
    model, kind, stride = _compiled_model(config, lambda: training_ab_prior(rgb, sample=len(rgb)),
                                          -(-len(rgb) // config.batch_size))
    targets, takes_hints = heads.fit_targets(kind, rgb, stride), heads.takes_hints(model)
    gray = None if takes_hints else color.rgb_to_gray(rgb)
    rng = np.random.default_rng(config.seed)
    for epoch in range(config.epochs):
        flip = rng.random(len(rgb)) < 0.5

        def flipped(array):
            return np.where(flip.reshape(-1, *[1] * (array.ndim - 1)), array[:, :, ::-1], array)

        # new hints (and recoloured regions) every epoch
        inputs, epoch_targets = training_pair(config, kind, stride, True, rgb, rng) if takes_hints else (gray, targets)
        model.fit(flipped(inputs), keras.tree.map_structure(flipped, epoch_targets), batch_size=config.batch_size,
                  epochs=epoch + 1, initial_epoch=epoch, shuffle=True, verbose=verbose)
    return model


def _same_run(old, new):
    """Whether a recorded training config ``old`` is the run ``new``: equal fields, a field that an
    earlier version did not record counting as its default (so adding a setting does not restart
    every unfinished run)."""
    defaults = dataclasses.asdict(TrainConfig(model_name=new["model_name"]))
    return set(old) <= set(new) and all(old.get(name, defaults.get(name)) == value for name, value in new.items())


def _compiled_model(config, ab_prior, steps_per_epoch, scope=None, classes=0):
    """The seeded, compiled model of ``config``; ``ab_prior()`` gives the training set's ab-bin
    frequencies (computed only for bin classifiers); ``scope``: ``distribution.scope``'s, if made
    already; ``classes``: the data set's, for a class head (``config.class_loss_weight``). Returns
    (model, output kind, output stride)."""
    keras.utils.set_random_seed(config.seed)
    keras.mixed_precision.set_global_policy(config.precision)  # layers built from here on compute in it
    model = build_model(config.model_name, **dict(config.model_kwargs))
    if config.initial_model is not None:  # fine-tuning: start from a trained model's weights
        from colorize_cnn.colorizer import load_colorizer

        transfer_weights(load_colorizer(config.initial_model, runtime="keras").model, model)
    distributed = config.distribute != "none"
    with scope or distribution.scope(config.distribute):
        if distributed:  # the same starting weights on any devices (initialisers draw differently in a scope)
            weights, model = model.get_weights(), build_model(config.model_name, **dict(config.model_kwargs))
            model.set_weights(weights)
        kind, stride = heads.output_kind(model), heads.output_stride(model)
        bin_weights = None
        if kind in (heads.AB_BINS, heads.TWO_HEADS):
            bin_weights = color.rebalancing_weights(ab_prior(), config.rebalance_mix)
        loss, loss_weights = heads.training_loss(kind, bin_weights)
        if config.class_loss_weight:  # an auxiliary class head, for training only (models.with_class_head)
            if kind != heads.TWO_HEADS:
                raise UserError(f"class_loss_weight is for two-head photo models; {config.model_name} is {kind}.")
            model = with_class_head(model, classes)
            loss = {**loss, CLASS_OUTPUT: keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)}
            loss_weights = {**loss_weights, CLASS_OUTPUT: config.class_loss_weight}
        model.compile(optimizer=keras.optimizers.Adam(_learning_rate(config, steps_per_epoch)), loss=loss,
                      # XLA: off under MirroredStrategy (Keras requires it) and in mixed precision (TensorFlow
                      # 2.21's XLA on the CPU stops with an InternalError compiling the mixed graph)
                      loss_weights=loss_weights, jit_compile=config.jit_compile and config.distribute != "devices"
                      and config.precision == "float32",
                      # several steps per call fail under MirroredStrategy in Keras 3.15 (placeholder error)
                      steps_per_execution=1 if distributed else config.steps_per_execution)
    return model, kind, stride


def _learning_rate(config, steps_per_epoch):
    if config.learning_rate_schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(config.learning_rate, config.epochs * steps_per_epoch)
    return config.learning_rate


def save_model(model, path, writer=True):
    """Saves ``model`` to ``path`` atomically. Under several processes every process must save
    (``distribution``'s docstring says why): those that do not write the run's files (``writer``
    False) save into a temporary folder of their own, which is removed."""
    if not writer:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            _save(model, Path(folder) / Path(path).name)
        return
    with atomic_output(path) as temporary:
        _save(model, temporary)


def _save(model, path):
    if str(path).endswith(".weights.h5"):
        model.save_weights(path)
    else:
        model.save(path)


def read_history(path):
    """history.csv -> dict of column -> list of floats (one per epoch)."""
    import csv

    with open(path, newline="") as file_object:
        rows = list(csv.DictReader(file_object))
    return {column: [float(row[column]) for row in rows] for column in (rows[0] if rows else {})}
