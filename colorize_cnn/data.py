"""CIFAR-10 as grayscale/colour pairs.

``load_cifar10`` finds the data in this order:

1. an explicit ``data_dir`` (``--data PATH`` on the command line), else the ``COLORIZE_CNN_DATA``
   environment variable, pointing at one of
   (a) the official ``cifar-10-batches-py`` folder (``data_batch_1`` ... ``test_batch``),
   (b) the official ``cifar-10-python.tar.gz`` archive,
   (c) an image folder laid out ``train/<class>/*`` and ``test/<class>/*`` (for example the
       JPEG copy in ``../shared/data/cifar10-jpeg``);
2. otherwise ``keras.datasets.cifar10.load_data()``, which downloads and caches the official
   archive.

Every split comes back as ``gray`` float32 ``(N, 32, 32, 1)`` in [0, 1], ``rgb`` float32
``(N, 32, 32, 3)`` in [0, 1] and ``labels`` int64 ``(N,)`` in 0..9. ``gray`` carries the CIELAB
lightness of ``rgb`` (see ``colorize_cnn.color.rgb_to_gray``; one formula everywhere).
"""

import dataclasses
import os
import pickle
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from colorize_cnn.color import rgb_to_gray
from colorize_cnn.images import INPUT_SUFFIXES

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SIZE = 32
DATA_ENV_VAR = "COLORIZE_CNN_DATA"


class DataSourceError(RuntimeError):
    """No data source worked; the message names each one tried and how to supply a copy."""


@dataclasses.dataclass(frozen=True)
class Split:
    gray: np.ndarray
    rgb: np.ndarray
    labels: np.ndarray

    def __len__(self):
        return len(self.labels)


@dataclasses.dataclass(frozen=True)
class Cifar10:
    name: str  # e.g. "CIFAR-10 (JPEG copy)", as the README and the metrics JSON name it
    source: str  # where it was read from
    train: Split
    test: Split
    class_names: tuple = CLASS_NAMES


def _split_from_uint8(images, labels, limit, seed):
    images = np.asarray(images, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if limit is not None:
        keep = balanced_subset(labels, limit, seed)
        images, labels = images[keep], labels[keep]
    rgb = images.astype(np.float32) / 255.0
    return Split(gray=rgb_to_gray(rgb), rgb=rgb, labels=labels)


def balanced_subset(labels, limit, seed=0):
    """Indices of ``limit`` items taking classes in turn (as equal as ``limit`` allows), sorted."""
    if limit <= 0:
        raise ValueError(f"limit must be a positive number of images. Received: limit={limit}")
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    order = [idx for group in zip(*per_class) for idx in group]
    leftovers = [idx for group in per_class for idx in group[min(map(len, per_class)):]]
    return np.sort(np.asarray((order + leftovers)[:limit], dtype=np.int64))


# --- the official python batches -------------------------------------------------------------

def _unpickle_batch(file_object, name):
    try:
        batch = pickle.load(file_object, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = batch[b"labels"]
        images = data.reshape(-1, 3, IMAGE_SIZE, IMAGE_SIZE).transpose(0, 2, 3, 1)
    except Exception as error:  # pickle raises many types on a damaged file
        raise DataSourceError(
            f"CIFAR-10 batch file {name} is corrupt or not a CIFAR-10 batch ({type(error).__name__}: {error}). "
            "Download cifar-10-python.tar.gz again from https://www.cs.toronto.edu/~kriz/cifar.html."
        ) from error
    return images, labels


def _batch_names():
    return [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]


def _load_batches_folder(folder):
    train_names, test_names = _batch_names()
    splits = []
    for names in (train_names, test_names):
        images, labels = [], []
        for name in names:
            with open(folder / name, "rb") as file_object:
                batch_images, batch_labels = _unpickle_batch(file_object, folder / name)
            images.append(batch_images)
            labels.extend(batch_labels)
        splits.append((np.concatenate(images), np.asarray(labels)))
    return splits


def _load_tarball(path):
    train_names, test_names = _batch_names()
    try:
        archive = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as error:
        raise DataSourceError(f"{path} is not a readable cifar-10-python.tar.gz archive ({error}).") from error
    with archive:
        members = {Path(member.name).name: member for member in archive.getmembers() if member.isfile()}
        missing = [name for name in train_names + test_names if name not in members]
        if missing:
            raise DataSourceError(f"{path} lacks the CIFAR-10 batch files {missing}; is it cifar-10-python.tar.gz?")
        splits = []
        for names in (train_names, test_names):
            images, labels = [], []
            for name in names:
                batch_images, batch_labels = _unpickle_batch(archive.extractfile(members[name]), f"{path}:{name}")
                images.append(batch_images)
                labels.extend(batch_labels)
            splits.append((np.concatenate(images), np.asarray(labels)))
    return splits


# --- an image folder -------------------------------------------------------------------------

def _read_rgb_uint8(path):
    from PIL import Image

    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except Exception as error:
        raise DataSourceError(f"cannot read image {path} ({type(error).__name__}: {error}); remove or replace it.") from error
    if array.shape != (IMAGE_SIZE, IMAGE_SIZE, 3):
        raise DataSourceError(
            f"image {path} is {array.shape[1]}x{array.shape[0]}; the CIFAR-10 models need {IMAGE_SIZE}x{IMAGE_SIZE} images."
        )
    return array


def _load_image_split(split_dir, class_names):
    paths, labels = [], []
    for label, class_name in enumerate(class_names):
        files = sorted(p for p in (split_dir / class_name).iterdir() if p.suffix.lower() in INPUT_SUFFIXES)
        paths.extend(files)
        labels.extend([label] * len(files))
    if not paths:
        raise DataSourceError(f"{split_dir} holds no images (looked for {', '.join(INPUT_SUFFIXES)}).")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        images = np.stack(list(pool.map(_read_rgb_uint8, paths, chunksize=256)))
    return images, np.asarray(labels)


def _load_image_folder(folder):
    class_names = tuple(sorted(p.name for p in (folder / "train").iterdir() if p.is_dir()))
    test_classes = tuple(sorted(p.name for p in (folder / "test").iterdir() if p.is_dir()))
    if not class_names or class_names != test_classes:
        raise DataSourceError(
            f"{folder}: train/ and test/ must hold the same class folders. "
            f"Received: train/ {list(class_names)}, test/ {list(test_classes)}."
        )
    return [_load_image_split(folder / split, class_names) for split in ("train", "test")], class_names


# --- the entry point -------------------------------------------------------------------------

def _layout_of(path):
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        return "tarball"
    if path.is_dir():
        if (path / "data_batch_1").is_file():
            return "batches"
        if (path / "cifar-10-batches-py" / "data_batch_1").is_file():
            return "nested-batches"
        if (path / "train").is_dir() and (path / "test").is_dir():
            return "images"
    return None


def _load_local(path):
    """Returns ((train_images, train_labels), (test_images, test_labels)), name, class names."""
    layout = _layout_of(path)
    if layout == "tarball":
        return _load_tarball(path), "CIFAR-10 (official cifar-10-python.tar.gz)", CLASS_NAMES
    if layout in ("batches", "nested-batches"):
        folder = path if layout == "batches" else path / "cifar-10-batches-py"
        return _load_batches_folder(folder), "CIFAR-10 (official python batches)", CLASS_NAMES
    if layout == "images":
        splits, class_names = _load_image_folder(path)
        name = "CIFAR-10 (JPEG copy)" if class_names == CLASS_NAMES else f"image folder {path.name}"
        return splits, name, class_names
    if not path.exists():
        raise DataSourceError(f"data path {path} does not exist.")
    raise DataSourceError(
        f"data path {path} is in none of the known layouts: a cifar-10-batches-py folder "
        "(data_batch_1 ... test_batch), the cifar-10-python.tar.gz archive, or an image folder "
        "with train/<class>/* and test/<class>/*."
    )


def _load_keras():
    import keras

    (train_images, train_labels), (test_images, test_labels) = keras.datasets.cifar10.load_data()
    return [(train_images, train_labels), (test_images, test_labels)]


def load_cifar10(data_dir=None, limit=None, seed=0):
    """Loads CIFAR-10 train and test splits as gray/colour pairs.

    Args:
        data_dir: a local copy (see the module docstring); ``None`` reads ``COLORIZE_CNN_DATA``,
            then falls back to the Keras download.
        limit: if set, a class-balanced subset of at most ``limit`` images of each split.
        seed: picks the subset.
    Returns:
        A ``Cifar10`` with ``train`` and ``test`` splits.
    Raises:
        DataSourceError: no source worked; the message lists the sources tried.
    """
    if limit is not None and limit <= 0:
        raise ValueError(f"limit must be a positive number of images. Received: limit={limit}")
    explicit = data_dir if data_dir is not None else os.environ.get(DATA_ENV_VAR) or None
    if explicit is not None:
        path = Path(explicit).expanduser()
        where = "--data/data_dir" if data_dir is not None else f"${DATA_ENV_VAR}"
        try:
            (train, test), name, class_names = _load_local(path)
        except DataSourceError as error:
            raise DataSourceError(f"{error} (given by {where})") from error
        source = str(path)
    else:
        try:
            train, test = _load_keras()
        except Exception as error:
            raise DataSourceError(
                "no CIFAR-10 data could be loaded. Tried: (1) --data / data_dir: not given; "
                f"(2) ${DATA_ENV_VAR}: not set; (3) keras.datasets.cifar10.load_data(): failed "
                f"({type(error).__name__}: {error}). Fix: connect to the internet, or download "
                "cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html elsewhere and pass "
                f"its path (or the extracted cifar-10-batches-py folder, or an image folder train/<class>/*, "
                f"test/<class>/*) with --data PATH or {DATA_ENV_VAR}=PATH."
            ) from error
        name, source, class_names = "CIFAR-10 (official, via keras.datasets)", "keras.datasets.cifar10", CLASS_NAMES
    return Cifar10(
        name=name,
        source=source,
        train=_split_from_uint8(*train, limit=limit, seed=seed),
        test=_split_from_uint8(*test, limit=limit, seed=seed),
        class_names=tuple(class_names),
    )
