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

from colorize_cnn.data.splits import DataSourceError, Split, balanced_subset, split_from_uint8
from colorize_cnn.images import INPUT_SUFFIXES, is_image_file

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SIZE = 32
DATA_ENV_VAR = "COLORIZE_CNN_DATA"  # a local CIFAR-10 copy, when --data is not given


@dataclasses.dataclass(frozen=True)
class Cifar10:
    name: str  # e.g. "CIFAR-10 (JPEG copy)", as the README and the metrics JSON name it
    source: str  # where it was read from
    train: Split
    test: Split
    class_names: tuple = CLASS_NAMES

    @property
    def train_size(self):
        return len(self.train)


# --- the official python batches -------------------------------------------------------------

class _BatchUnpickler(pickle.Unpickler):
    """Unpickles a CIFAR-10 batch (a dict of bytes, lists and one NumPy array) and nothing else:
    any other class or function named in the file is refused before it can run."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: not part of a CIFAR-10 batch")
        return super().find_class(module, name)


def _unpickle_batch(file_object, name):
    hint = "Download cifar-10-python.tar.gz again from https://www.cs.toronto.edu/~kriz/cifar.html."
    try:
        batch = _BatchUnpickler(file_object, encoding="bytes").load()
        data, labels = batch[b"data"], batch[b"labels"]
    except Exception as error:  # pickle raises many types on a damaged file
        raise DataSourceError(
            f"CIFAR-10 batch file {name} is corrupt or not a CIFAR-10 batch ({type(error).__name__}: {error}). {hint}"
        ) from None
    size = 3 * IMAGE_SIZE * IMAGE_SIZE
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != size:
        shape, dtype = getattr(data, "shape", None), getattr(data, "dtype", type(data).__name__)
        raise DataSourceError(f"CIFAR-10 batch file {name}: its data must be uint8 of shape (N, {size}). Received: "
                              f"dtype={dtype}, shape={shape}. {hint}")
    labels = np.asarray(labels)
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise DataSourceError(f"CIFAR-10 batch file {name} has {len(data)} images but labels of shape {labels.shape} "
                              f"and dtype {labels.dtype}. {hint}")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise DataSourceError(f"CIFAR-10 batch file {name} has labels from {labels.min()} to {labels.max()}; "
                              f"CIFAR-10 labels are 0 to {len(CLASS_NAMES) - 1}. {hint}")
    return data.reshape(-1, 3, IMAGE_SIZE, IMAGE_SIZE).transpose(0, 2, 3, 1), labels.tolist()


def _batch_names():
    return [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]


def _load_batches_folder(folder):
    train_names, test_names = _batch_names()
    missing = [name for name in train_names + test_names if not (folder / name).is_file()]
    if missing:
        raise DataSourceError(f"CIFAR-10 batches folder {folder} lacks {', '.join(missing)}. Download "
                              "cifar-10-python.tar.gz again from https://www.cs.toronto.edu/~kriz/cifar.html "
                              "and pass the archive or its whole cifar-10-batches-py folder.")
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
    import gzip
    import zlib

    train_names, test_names = _batch_names()
    try:  # read to the end once, so gzip checks its CRC and length: a flipped byte or a cut file is caught
        with gzip.open(path) as stream:
            while stream.read(1 << 22):
                pass
        archive = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataSourceError(f"{path} is not a readable cifar-10-python.tar.gz archive: truncated or damaged "
                              f"({type(error).__name__}: {error}). Download it again from "
                              "https://www.cs.toronto.edu/~kriz/cifar.html.") from None
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


def _load_image_split(split_dir, class_names, limit=None, seed=0):
    paths, labels = [], []
    for label, class_name in enumerate(class_names):
        files = sorted(p for p in (split_dir / class_name).iterdir() if is_image_file(p))
        paths.extend(files)
        labels.extend([label] * len(files))
    if not paths:
        raise DataSourceError(f"{split_dir} holds no images (looked for {', '.join(INPUT_SUFFIXES)}).")
    if limit is not None:  # read only the images a --limit run uses
        keep = balanced_subset(np.asarray(labels), limit, seed)
        paths, labels = [paths[index] for index in keep], [labels[index] for index in keep]

    def read(path):
        try:
            return _read_rgb_uint8(path)
        except DataSourceError as error:
            return error

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        images = list(pool.map(read, paths, chunksize=256))
    good = [index for index, image in enumerate(images) if not isinstance(image, DataSourceError)]
    for error in (image for image in images if isinstance(image, DataSourceError)):
        print(f"skipped {error}")  # one bad file must not stop the rest: name it and go on
    if not good:
        raise DataSourceError(f"{split_dir}: no image could be read (the first: {images[0]}).")
    return np.stack([images[index] for index in good]), np.asarray([labels[index] for index in good])


def _load_image_folder(folder, limit=None, seed=0):
    class_names = tuple(sorted(p.name for p in (folder / "train").iterdir() if p.is_dir()))
    test_classes = tuple(sorted(p.name for p in (folder / "test").iterdir() if p.is_dir()))
    if not class_names or class_names != test_classes:
        raise DataSourceError(
            f"{folder}: train/ and test/ must hold the same class folders. "
            f"Received: train/ {list(class_names)}, test/ {list(test_classes)}."
        )
    return [_load_image_split(folder / split, class_names, limit, seed) for split in ("train", "test")], class_names


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


def _load_local(path, limit=None, seed=0):
    """Returns ((train_images, train_labels), (test_images, test_labels)), name, class names."""
    layout = _layout_of(path)
    if layout == "tarball":
        return _load_tarball(path), "CIFAR-10 (official cifar-10-python.tar.gz)", CLASS_NAMES
    if layout in ("batches", "nested-batches"):
        folder = path if layout == "batches" else path / "cifar-10-batches-py"
        return _load_batches_folder(folder), "CIFAR-10 (official python batches)", CLASS_NAMES
    if layout == "images":
        splits, class_names = _load_image_folder(path, limit, seed)
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
            (train, test), name, class_names = _load_local(path, limit, seed)
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
        train=split_from_uint8(*train, limit=limit, seed=seed),
        test=split_from_uint8(*test, limit=limit, seed=seed),
        class_names=tuple(class_names),
    )
