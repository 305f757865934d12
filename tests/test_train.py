import dataclasses

import keras
import numpy as np
import pytest
from PIL import Image

from colorize_cnn.data import in_memory_batches, load_cifar10
from colorize_cnn.errors import UserError
from colorize_cnn.files import MODEL_FILE
from colorize_cnn.heads import predict_rgb
from colorize_cnn.train import TrainConfig, read_history, train


@pytest.fixture(scope="module")
def tiny_cifar(cifar_batches):
    return load_cifar10(cifar_batches)


@pytest.mark.parametrize(
    "name, kwargs",
    [("conv_flatten_dense", (("filters", 2),)), ("unet_classification", (("base_filters", 4),))],
)
def test_training_lowers_the_loss_and_reloads(tiny_cifar, tmp_path, name, kwargs):
    config = TrainConfig(model_name=name, model_kwargs=kwargs, epochs=4, batch_size=10, learning_rate=3e-3)
    model, history = train(config, tiny_cifar, tmp_path, verbose=0)
    assert len(history["loss"]) == 4
    assert history["loss"][-1] < history["loss"][0]
    assert {"val_loss", "epoch_seconds", "test_psnr"} <= set(history)
    assert read_history(tmp_path / "history.csv") == history
    assert not (tmp_path / "backup").exists()
    reloaded = keras.saving.load_model(tmp_path / MODEL_FILE)
    np.testing.assert_allclose(
        predict_rgb(reloaded, tiny_cifar.test.gray), predict_rgb(model, tiny_cifar.test.gray), atol=1e-5
    )
    predicted = predict_rgb(model, tiny_cifar.test.gray)
    assert predicted.shape == tiny_cifar.test.rgb.shape and 0 <= predicted.min() and predicted.max() <= 1


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch_size", -1), ("epochs", 2.5), ("steps_per_epoch", 0)])
def test_config_refuses_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(model_name="flatten_dense", **{field: value})


def test_steps_per_epoch_is_refused_for_in_memory_images(tiny_cifar, tmp_path):
    with pytest.raises(UserError, match="steps_per_epoch is for photo data sets"):
        train(TrainConfig(model_name="flatten_dense", steps_per_epoch=2), tiny_cifar, tmp_path)
    assert not any(tmp_path.iterdir())  # refused before anything is written


def test_interrupted_training_resumes(tiny_cifar, tmp_path):
    config = TrainConfig(model_name="flatten_dense", epochs=3, batch_size=10)
    _interrupt_after(config, tiny_cifar, tmp_path, epoch=1)
    assert (tmp_path / "backup").exists()
    _, history = train(config, tiny_cifar, tmp_path, verbose=0)
    assert len(history["loss"]) == 3  # epochs 1-2 from the first run, epoch 3 resumed
    assert [int(e) for e in history["epoch"]] == [0, 1, 2]


def test_in_memory_batches_cover_every_example_once_per_epoch_in_a_new_order():
    inputs = np.arange(23, dtype=np.float32).reshape(23, 1)
    targets = {"ab": inputs * 10, "ab_bins": inputs + 0.5}  # one target per head
    batches = in_memory_batches(inputs, targets, batch_size=5, shuffle=True, seed=3)
    epochs = [[(x.numpy(), {k: v.numpy() for k, v in y.items()}) for x, y in batches] for _ in range(2)]
    for epoch in epochs:
        assert [len(batch[0]) for batch in epoch] == [5, 5, 5, 5, 3]
        seen = np.concatenate([batch[0] for batch in epoch])[:, 0]
        assert sorted(seen) == list(range(23))
        for batch_inputs, batch_targets in epoch:  # rows stay together
            np.testing.assert_array_equal(batch_targets["ab"], batch_inputs * 10)
            np.testing.assert_array_equal(batch_targets["ab_bins"], batch_inputs + 0.5)
    first, second = (np.concatenate([batch[0] for batch in epoch])[:, 0] for epoch in epochs)
    assert list(first) != list(second)


def test_in_memory_batches_keep_order_without_shuffle():
    inputs = np.arange(7, dtype=np.float32)
    batches = list(in_memory_batches(inputs, inputs, batch_size=4))
    assert len(batches[0]) == 2  # (inputs, targets)
    np.testing.assert_array_equal(np.concatenate([batch[0] for batch in batches]), inputs)


def test_a_run_killed_after_training_but_before_saving_does_not_train_again(tiny_cifar, tmp_path, monkeypatch):
    import colorize_cnn.train as train_module

    config = TrainConfig(model_name="flatten_dense", epochs=2, batch_size=10)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "save_model", killed)
    with pytest.raises(KeyboardInterrupt):
        train_module.train(config, tiny_cifar, tmp_path, verbose=0)
    assert (tmp_path / "backup").exists() and not (tmp_path / MODEL_FILE).exists()
    monkeypatch.undo()
    _, history = train_module.train(config, tiny_cifar, tmp_path, verbose=0)
    assert [int(e) for e in history["epoch"]] == [0, 1]  # restored after epoch 2: no epoch trained again
    assert (tmp_path / MODEL_FILE).exists() and not (tmp_path / "backup").exists()
    again, history_again = train_module.train(config, tiny_cifar, tmp_path, verbose=0)  # finished: nothing to do
    assert history_again == history


KILLED_DURING_BACKUP = """
import os, sys
import keras
from colorize_cnn.data import load_cifar10
from colorize_cnn.train import TrainConfig, train

original = keras.Model.save_weights
calls = []

def save_weights(self, path, *args, **kwargs):
    calls.append(path)
    if len(calls) == 2:  # the second epoch's backup: half of it reaches the disk, then the process dies
        original(self, path, *args, **kwargs)
        size = os.path.getsize(path)
        with open(path, "r+b") as written:
            written.truncate(size // 2)
        os._exit(137)
    return original(self, path, *args, **kwargs)

keras.Model.save_weights = save_weights
train(TrainConfig(model_name="flatten_dense", epochs=3, batch_size=10), load_cifar10(sys.argv[1]), sys.argv[2], verbose=0)
"""


def test_a_kill_during_the_backup_write_loses_only_that_epoch(cifar_batches, tiny_cifar, tmp_path):
    import subprocess
    import sys

    script = tmp_path / "killed.py"
    script.write_text(KILLED_DURING_BACKUP)
    run_dir = tmp_path / "run"
    result = subprocess.run([sys.executable, str(script), str(cifar_batches), str(run_dir)], capture_output=True,
                            text=True, timeout=300, env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 137, result.stderr[-2000:]
    backups = sorted(p.name for p in (run_dir / "backup").iterdir())
    assert len(backups) == 2 and backups[1] == "epoch-0001.weights.h5" and backups[0].startswith(".epoch-0002")
    assert len(read_history(run_dir / "history.csv")["loss"]) == 2  # epoch 2 logged, its backup unfinished
    _, history = train(TrainConfig(model_name="flatten_dense", epochs=3, batch_size=10), tiny_cifar, run_dir, verbose=0)
    assert [int(e) for e in history["epoch"]] == [0, 1, 2]  # epoch 2 trained again from epoch 1's weights
    assert (run_dir / MODEL_FILE).exists() and not (run_dir / "backup").exists()


def test_a_damaged_backup_is_reported_and_never_loaded(tiny_cifar, tmp_path, capsys):
    config = TrainConfig(model_name="flatten_dense", epochs=3, batch_size=10)
    _interrupt_after(config, tiny_cifar, tmp_path, epoch=1)
    (backup,) = (tmp_path / "backup").glob("epoch-*.weights.h5")
    assert backup.name == "epoch-0002.weights.h5"
    backup.write_bytes(backup.read_bytes()[:1000])  # damaged on disk
    _, history = train(config, tiny_cifar, tmp_path, verbose=0)
    assert "is damaged" in capsys.readouterr().out
    assert [int(e) for e in history["epoch"]] == [0, 1, 2]  # started again: no damaged weights used


def test_a_full_disk_stops_training_with_a_message_and_the_run_resumes(tiny_cifar, tmp_path, monkeypatch):
    import shutil

    import colorize_cnn.train as train_module

    config = TrainConfig(model_name="flatten_dense", epochs=3, batch_size=10)
    real_usage = shutil.disk_usage
    calls = []

    def usage(path):
        calls.append(path)
        total, used, free = real_usage(path)
        return type(real_usage(path))(total, used, 0 if len(calls) == 2 else free)  # full at the second epoch

    monkeypatch.setattr(train_module.shutil, "disk_usage", usage)
    with pytest.raises(train_module.TrainingDiskFullError, match="resumes after epoch 1"):
        train(config, tiny_cifar, tmp_path, verbose=0)
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["epoch-0001.weights.h5"]
    monkeypatch.undo()

    def failing_write(self, path, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save_weights", failing_write)
    with pytest.raises(train_module.TrainingDiskFullError, match="No space left"):
        train(config, tiny_cifar, tmp_path, verbose=0)
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["epoch-0001.weights.h5"]  # no temporary left
    monkeypatch.undo()
    _, history = train(config, tiny_cifar, tmp_path, verbose=0)
    assert [int(e) for e in history["epoch"]] == [0, 1, 2]  # history matches the epochs trained


def _interrupt_after(config, dataset, out_dir, epoch):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, index, logs=None):
            if index == epoch:
                raise KeyboardInterrupt

    original_fit = keras.Model.fit

    def fit_with_interrupt(self, *args, callbacks=(), **kwargs):
        return original_fit(self, *args, callbacks=[*callbacks, Interrupt()], **kwargs)

    keras.Model.fit = fit_with_interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            train(config, dataset, out_dir, verbose=0)
    finally:
        keras.Model.fit = original_fit


def test_a_kill_while_the_backups_are_removed_does_not_train_again(tiny_cifar, tmp_path):
    config = TrainConfig(model_name="flatten_dense", epochs=2, batch_size=10)
    _, history = train(config, tiny_cifar, tmp_path, verbose=0)
    (tmp_path / "backup").mkdir()  # what a kill part way through removing the backups leaves
    (tmp_path / "backup" / ".epoch-0002.x1y2z3.weights.h5").write_bytes(b"half")
    before = (tmp_path / MODEL_FILE).stat().st_mtime_ns
    _, again = train(config, tiny_cifar, tmp_path, verbose=0)
    assert again == history and (tmp_path / MODEL_FILE).stat().st_mtime_ns == before
    assert not (tmp_path / "backup").exists()


def test_the_disk_full_message_gets_its_own_line(tiny_cifar, tmp_path, monkeypatch, capsys):
    import shutil

    import colorize_cnn.train as train_module

    real_usage = shutil.disk_usage
    monkeypatch.setattr(train_module.shutil, "disk_usage", lambda path: type(real_usage(path))(1, 1, 0))
    with pytest.raises(train_module.TrainingDiskFullError):
        train(TrainConfig(model_name="flatten_dense", epochs=1, batch_size=10), tiny_cifar, tmp_path, verbose=1)
    assert capsys.readouterr().out.endswith("\n")


def test_a_run_recorded_before_a_setting_existed_is_still_the_same_run(tiny_cifar, tmp_path):
    import json

    config = TrainConfig("flatten_dense", epochs=1, batch_size=10)
    train(config, tiny_cifar, tmp_path)
    recorded = json.loads((tmp_path / "train_config.json").read_text())
    del recorded["precision"], recorded["initial_model"]  # as an earlier version wrote it
    (tmp_path / "train_config.json").write_text(json.dumps(recorded))
    before = (tmp_path / "model.keras").stat().st_mtime_ns
    train(config, tiny_cifar, tmp_path)  # finished before: recognised, not trained again
    assert (tmp_path / "model.keras").stat().st_mtime_ns == before


def test_non_finite_training_images_are_refused_before_training(tiny_cifar, tmp_path):
    import dataclasses

    rgb = tiny_cifar.train.rgb.astype(np.float32)
    rgb[3, 0, 0, 1] = np.nan
    broken = dataclasses.replace(tiny_cifar, train=dataclasses.replace(tiny_cifar.train, rgb=rgb))
    with pytest.raises(UserError, match="NaN or infinite values .*the first at index 3"):
        train(TrainConfig(model_name="flatten_dense", epochs=1, batch_size=10), broken, tmp_path, verbose=0)
    assert not (tmp_path / "history.csv").exists()


def test_a_loss_that_turns_nan_stops_the_run_and_keeps_the_last_good_backup(tiny_cifar, tmp_path):
    from colorize_cnn.train import TrainingDivergedError

    class Diverge(keras.callbacks.Callback):  # as a too-high learning rate would, in the second epoch
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

    original_fit = keras.Model.fit

    def fit_diverging(self, *args, callbacks=(), **kwargs):
        return original_fit(self, *args, callbacks=[Diverge(), *callbacks], **kwargs)

    config = TrainConfig(model_name="flatten_dense", epochs=3, batch_size=10)
    keras.Model.fit = fit_diverging
    try:
        with pytest.raises(TrainingDivergedError, match="nan in epoch 2 .*backup of epoch 1 is kept"):
            train(config, tiny_cifar, tmp_path, verbose=0)
    finally:
        keras.Model.fit = original_fit
    backups = list((tmp_path / "backup").iterdir())
    assert [path.name for path in backups] == ["epoch-0001.weights.h5"] and not (tmp_path / MODEL_FILE).exists()
    assert len(read_history(tmp_path / "history.csv")["loss"]) == 1  # the good epoch alone
    _, history = train(config, tiny_cifar, tmp_path, verbose=0)  # resumes from it, finite
    assert len(history["loss"]) == 3 and np.isfinite(history["loss"]).all()


def test_an_auxiliary_class_loss_trains_a_head_the_saved_colorizer_leaves_out(tiny_imagenet_zip, tmp_path):
    from colorize_cnn.colorizer import load_colorizer
    from colorize_cnn.data import load_dataset

    dataset = load_dataset("tiny_imagenet", tiny_imagenet_zip)
    config = TrainConfig(model_name="unet_photo", model_kwargs=(("base_filters", 4),), epochs=2, steps_per_epoch=3,
                         batch_size=4, jit_compile=False, class_loss_weight=0.5)
    model, history = train(config, dataset, tmp_path / "run")
    assert set(model.output) == {"ab_bins", "ab"}  # the class head trained, and stayed behind
    assert len(history["class_loss"]) == 2 and all(np.isfinite(history["class_loss"] + history["val_class_loss"]))
    assert history["val_class_loss"][0] > 0  # the held-out images' labels count
    colorizer = load_colorizer(str(tmp_path / "run" / MODEL_FILE))
    gray = dataset.test.gray[:2]
    np.testing.assert_allclose(colorizer.model.predict(gray, verbose=0)["ab"], model.predict(gray, verbose=0)["ab"],
                               atol=1e-4)
    with pytest.raises(UserError, match="two-head"):
        train(dataclasses.replace(config, model_name="unet_regression"), dataset, tmp_path / "regression")
    (tmp_path / "photos").mkdir()
    for index in range(30):
        Image.fromarray(np.uint8(np.random.default_rng(index).integers(0, 255, (40, 40, 3)))).save(
            tmp_path / "photos" / f"{index}.png")
    with pytest.raises(UserError, match="class labels"):
        train(config, load_dataset("photo_folder", tmp_path / "photos"), tmp_path / "folder")
