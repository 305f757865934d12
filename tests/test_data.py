import pickle
from pathlib import Path

import numpy as np
import pytest

from colorize_cnn import color, data
from colorize_cnn.data import DataSourceError, load_cifar10


def check_split(split, count):
    assert split.gray.shape == (count, 32, 32, 1) and split.gray.dtype == np.float32
    assert split.rgb.shape == (count, 32, 32, 3) and split.rgb.dtype == np.float32
    assert split.labels.shape == (count,)
    for array in (split.gray, split.rgb):
        assert 0.0 <= array.min() and array.max() <= 1.0
    # gray carries the CIELAB lightness of the colour image
    np.testing.assert_allclose(
        color.gray_to_lightness(split.gray)[..., 0], color.rgb_to_lab(split.rgb)[..., 0], atol=0.05
    )


def test_official_batches_folder(cifar_batches):
    dataset = load_cifar10(cifar_batches)
    check_split(dataset.train, 100)
    check_split(dataset.test, 20)
    assert dataset.name == "CIFAR-10 (official python batches)"
    assert dataset.class_names[0] == "airplane"


def test_tarball_gives_the_same_arrays(cifar_batches, cifar_tarball):
    from_folder, from_tarball = load_cifar10(cifar_batches), load_cifar10(cifar_tarball)
    np.testing.assert_array_equal(from_folder.train.rgb, from_tarball.train.rgb)
    np.testing.assert_array_equal(from_folder.test.labels, from_tarball.test.labels)


def test_parent_of_batches_folder(cifar_batches):
    assert len(load_cifar10(cifar_batches.parent).train) == 100


def test_image_folder(image_folder):
    dataset = load_cifar10(image_folder)
    check_split(dataset.train, 30)
    check_split(dataset.test, 10)
    assert dataset.name == "CIFAR-10 (JPEG copy)"
    assert sorted(np.bincount(dataset.train.labels)) == [3] * 10


def test_environment_variable(cifar_batches, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV_VAR, str(cifar_batches))
    assert len(load_cifar10().test) == 20


def test_limit_is_class_balanced(cifar_batches):
    dataset = load_cifar10(cifar_batches, limit=30)
    assert len(dataset.train) == 30 and len(dataset.test) == 20
    assert np.bincount(dataset.train.labels).tolist() == [3] * 10


@pytest.mark.parametrize("limit", [0, -5])
def test_limit_must_be_positive(cifar_batches, limit):
    with pytest.raises(ValueError, match="limit"):
        load_cifar10(cifar_batches, limit=limit)


def test_missing_path(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        load_cifar10(tmp_path / "nowhere")


def test_folder_in_no_layout(tmp_path):
    (tmp_path / "something").mkdir()
    with pytest.raises(DataSourceError, match="none of the known layouts"):
        load_cifar10(tmp_path)


def copy_of(folder, tmp_path):
    import shutil

    return Path(shutil.copytree(folder, tmp_path / folder.name))


def test_corrupt_batch(cifar_batches, tmp_path):
    broken = copy_of(cifar_batches, tmp_path)
    (broken / "data_batch_3").write_bytes(b"this is not a pickle")
    with pytest.raises(DataSourceError, match="data_batch_3 is corrupt"):
        load_cifar10(broken)


def test_batch_with_wrong_content(cifar_batches, tmp_path):
    broken = copy_of(cifar_batches, tmp_path)
    (broken / "test_batch").write_bytes(pickle.dumps({b"something": 1}))
    with pytest.raises(DataSourceError, match="test_batch is corrupt"):
        load_cifar10(broken)


def test_an_unreadable_image_is_named_and_skipped(image_folder, tmp_path, capsys):
    copy = copy_of(image_folder, tmp_path)
    whole = load_cifar10(copy)
    (copy / "test" / "cat" / "0000.jpg").write_bytes(b"\xff\xd8 truncated")
    loaded = load_cifar10(copy)
    out = capsys.readouterr().out
    assert "skipped cannot read image" in out and "0000.jpg" in out
    assert len(loaded.test) == len(whole.test) - 1 and len(loaded.train) == len(whole.train)


def test_a_limit_reads_only_the_images_it_uses(image_folder, tmp_path):
    copy = copy_of(image_folder, tmp_path)
    for path in sorted((copy / "test").rglob("*.jpg")):  # damage each in turn: one the limit does not pick
        original = path.read_bytes()
        path.write_bytes(b"\xff\xd8 truncated")
        try:
            if len(load_cifar10(copy, limit=4).test) == 4:  # not among the four: never read, nothing skipped
                return
        finally:
            path.write_bytes(original)
    pytest.fail("every test image was picked by --limit 4")


def test_a_damaged_tarball_is_refused(cifar_tarball, tmp_path):
    content = cifar_tarball.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(content[: len(content) // 2])
    flipped = tmp_path / "flipped.tar.gz"
    damaged = bytearray(content)
    damaged[len(damaged) // 2] ^= 0x01
    flipped.write_bytes(bytes(damaged))
    for path in (truncated, flipped):
        with pytest.raises(DataSourceError, match="truncated or damaged"):
            load_cifar10(path)


@pytest.mark.parametrize("batch, message", [
    ({b"data": np.zeros((20, 3072), np.uint8), b"labels": [0] * 15}, "labels of shape"),
    ({b"data": np.zeros((20, 3072), np.uint8), b"labels": [40] * 20}, "labels from 40 to 40"),
    ({b"data": np.zeros((20, 3072), np.uint8), b"labels": [-1] * 20}, "labels from -1"),
    ({b"data": np.zeros((20, 3072), np.float32), b"labels": [0] * 20}, "must be uint8"),
    ({b"data": np.zeros((20, 3072), np.int16), b"labels": [0] * 20}, "must be uint8"),
])
def test_bad_batch_contents_are_refused(cifar_batches, tmp_path, batch, message):
    import pickle
    import shutil

    copy = tmp_path / "batches"
    shutil.copytree(cifar_batches, copy)
    with open(copy / "data_batch_1", "wb") as file_object:
        pickle.dump(batch, file_object)
    with pytest.raises(DataSourceError, match=message):
        load_cifar10(copy)


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED",))


def test_a_batch_that_would_run_code_is_refused_before_it_runs(cifar_batches, tmp_path, monkeypatch):
    import pickle
    import shutil

    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "batches"
    shutil.copytree(cifar_batches, copy)
    with open(copy / "data_batch_1", "wb") as file_object:
        pickle.dump({b"data": _Exploit(), b"labels": []}, file_object)
    with pytest.raises(DataSourceError, match="refused to load"):
        load_cifar10(copy)
    assert not (tmp_path / "PWNED").exists()


def test_no_source_works(monkeypatch):
    def no_network():
        raise OSError("URL fetch failure: no internet")

    monkeypatch.delenv(data.DATA_ENV_VAR, raising=False)
    monkeypatch.setattr(data.cifar10, "_load_keras", no_network)
    with pytest.raises(DataSourceError) as error:
        load_cifar10()
    message = str(error.value)
    for expected in ("--data", data.DATA_ENV_VAR, "keras.datasets.cifar10", "URL fetch failure", "cifar-10-python.tar.gz"):
        assert expected in message
