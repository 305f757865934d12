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
from colorize_cnn.config import WORKING_SIZE
from colorize_cnn.errors import UserError
from colorize_cnn.images import GRAY_TOLERANCE, INPUT_SUFFIXES, is_image_file

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SIZE = 32
DATA_ENV_VAR = "COLORIZE_CNN_DATA"  # a local CIFAR-10 copy, when --data is not given


class DataSourceError(UserError, RuntimeError):
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

    @property
    def train_size(self):
        return len(self.train)


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
        train=_split_from_uint8(*train, limit=limit, seed=seed),
        test=_split_from_uint8(*test, limit=limit, seed=seed),
        class_names=tuple(class_names),
    )


# --- photo data sets: Tiny ImageNet and any folder of photos ---------------------------------
#
# Training images stay encoded (file bytes or paths) and are decoded, cropped and flipped in a
# tf.data pipeline, so a folder larger than memory trains too. Evaluation images are decoded once.

TINY_IMAGENET_SIZE = 64
_GRAY_CHECK_SIDE = 64  # a thumbnail this size tells a gray photo from a colour one
TINY_IMAGENET_ROOT = "tiny-imagenet-200"


@dataclasses.dataclass(frozen=True)
class PhotoSet:
    """A photo data set: encoded training images, decoded evaluation images.

    ``train_images``: encoded image files (bytes) or their paths (str), streamed through
    ``photo_batches``. ``test``: a ``Split`` of the held-out images at ``crop_size`` (Tiny
    ImageNet val as it is; a photo folder's centre crops); ``test_photos``: a photo folder's
    held-out files, whole.
    """

    name: str
    source: str
    train_images: tuple
    crop_size: int
    test: Split
    test_photos: tuple = ()
    skipped_gray: int = 0
    class_names: tuple = ()

    @property
    def train_size(self):
        return len(self.train_images)


def _is_colour(encoded):
    """False for images stored as gray (Pillow mode L, LA, I, F, 1) or whose pixels are all gray."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(encoded) if isinstance(encoded, bytes) else encoded) as image:
        if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr"):
            return False
        image.draft("RGB", (_GRAY_CHECK_SIDE, _GRAY_CHECK_SIDE))  # JPEG: decode a small version only
        rgb = np.asarray(image.convert("RGB").resize((_GRAY_CHECK_SIDE, _GRAY_CHECK_SIDE)), dtype=np.int16)
    return int(np.abs(np.diff(rgb, axis=-1)).max()) > GRAY_TOLERANCE


def _decode_uint8(encoded):
    import io

    from PIL import Image

    with Image.open(io.BytesIO(encoded)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _tiny_imagenet_files(path):
    """(train files: name -> bytes, val files: name -> bytes, val wnid by name, wnids) from the
    official zip or its extracted folder."""
    import zipfile

    path = Path(path).expanduser()
    if path.is_file():
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise DataSourceError(f"{path} is not a readable tiny-imagenet-200.zip ({error}).") from error
        with archive:
            names = archive.namelist()
            read = archive.read
            return _split_tiny_imagenet(path, names, read)
    root = path / TINY_IMAGENET_ROOT if (path / TINY_IMAGENET_ROOT).is_dir() else path
    if not (root / "wnids.txt").is_file():
        if not path.exists():
            raise DataSourceError(f"Tiny ImageNet path {path} does not exist.")
        raise DataSourceError(f"{path} is neither tiny-imagenet-200.zip nor its extracted folder (no wnids.txt).")
    names = [f"{TINY_IMAGENET_ROOT}/{p.relative_to(root).as_posix()}" for p in root.rglob("*") if p.is_file()]
    return _split_tiny_imagenet(path, names, lambda name: (root / name.split("/", 1)[1]).read_bytes())


def _split_tiny_imagenet(path, names, read):
    prefix = f"{TINY_IMAGENET_ROOT}/"
    for required in ("wnids.txt", "val/val_annotations.txt"):
        if f"{prefix}{required}" not in names:
            raise DataSourceError(f"{path} lacks {prefix}{required}; is it tiny-imagenet-200.zip (or its folder), whole?")
    wnids = _read_text(path, f"{prefix}wnids.txt", read).split()
    val_wnid = {}
    annotations = f"{prefix}val/val_annotations.txt"
    for number, line in enumerate(_read_text(path, annotations, read).splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0] or not fields[1]:
            if line.strip():
                print(f"skipped line {number} of {path}: {annotations}: not 'file<TAB>class...' ({line[:60]!r})")
            continue
        val_wnid[fields[0]] = fields[1]
    train = sorted(n for n in names if n.startswith(f"{prefix}train/") and n.endswith(".JPEG"))
    val = sorted((n for n in names if n.startswith(f"{prefix}val/images/") and n.endswith(".JPEG")),
                 key=lambda n: (len(n), n))
    if not train or not val:
        raise DataSourceError(f"{path} holds no train/*/images/*.JPEG or val/images/*.JPEG files.")
    return _read_members(path, train, read), _read_members(path, val, read), val_wnid, wnids


def _read_text(path, member, read):
    try:
        return read(member).decode("utf-8")
    except Exception as error:  # a damaged member (bad CRC, cut short) or not text
        raise DataSourceError(f"cannot read {member} in {path} ({type(error).__name__}: {error}); the data set "
                              "is damaged: download or extract it again.") from None


def _read_members(path, members, read):
    """name -> bytes of each member that can be read; the others are named and skipped."""
    files = {}
    for member in members:
        try:
            files[member] = read(member)
        except MemoryError:
            raise
        except Exception as error:  # bad CRC, cut short, unreadable: that member's fault alone
            print(f"skipped {path}: {member}: cannot be read ({type(error).__name__}: {error})")
    return files


def _colour_flags(path, files):
    """For each encoded image: True (colour), False (gray), or None (not a readable image: named and skipped)."""
    def check(item):
        member, encoded = item
        try:
            return _is_colour(encoded)
        except MemoryError:
            raise
        except Exception as error:  # Pillow raises many kinds on damaged files
            print(f"skipped {path}: {member}: not a readable image ({type(error).__name__}: {error})")
            return None

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(check, files.items(), chunksize=512))


def load_tiny_imagenet(data_dir, limit=None, seed=0):
    """Tiny ImageNet (64 x 64 photos of 200 ImageNet classes) from the official zip or its folder.

    Training images are kept encoded for ``photo_batches``; the val split (the evaluation set: the
    official test split has no labels) is decoded into a ``Split``. Images stored as gray (2.5% of
    the official files) are skipped and counted; a member that cannot be read, is not an image, or
    whose class is unknown is named and skipped. ``limit`` takes a class-balanced subset of each split.
    """
    if data_dir is None:
        raise DataSourceError(
            "Tiny ImageNet needs a local copy: pass --data PATH to tiny-imagenet-200.zip (from "
            "http://cs231n.stanford.edu/tiny-imagenet-200.zip) or to its extracted folder."
        )
    train_files, val_files, val_wnid, wnids = _tiny_imagenet_files(data_dir)
    class_index = {wnid: index for index, wnid in enumerate(wnids)}
    train_colour, val_colour = _colour_flags(data_dir, train_files), _colour_flags(data_dir, val_files)
    train_names, val_names = [], []
    for name, keep in zip(train_files, train_colour):
        if keep and name.split("/")[2] not in class_index:
            print(f"skipped {data_dir}: {name}: its folder names no class of wnids.txt")
        elif keep:
            train_names.append(name)
    for name, keep in zip(val_files, val_colour):
        wnid = val_wnid.get(Path(name).name)
        if keep and wnid not in class_index:
            print(f"skipped {data_dir}: {name}: " + ("no line in val/val_annotations.txt" if wnid is None else
                                                     f"val_annotations.txt names class {wnid!r}, not in wnids.txt"))
        elif keep:
            val_names.append(name)
    gray = train_colour.count(False) + val_colour.count(False)
    if not train_names or not val_names:
        split = "training" if not train_names else "validation"
        raise DataSourceError(f"{data_dir} has no usable {split} photos ({gray} gray ones skipped, "
                              f"{(train_colour + val_colour).count(None)} unreadable); a colorizer needs colour photos.")
    train_labels = np.asarray([class_index[name.split("/")[2]] for name in train_names])
    val_labels = np.asarray([class_index[val_wnid[Path(name).name]] for name in val_names])
    if limit is not None:
        train_names = [train_names[i] for i in balanced_subset(train_labels, limit, seed)]
        keep = balanced_subset(val_labels, limit, seed)
        val_names, val_labels = [val_names[i] for i in keep], val_labels[keep]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        val_images = np.stack(list(pool.map(_decode_uint8, [val_files[n] for n in val_names], chunksize=256)))
    return PhotoSet(
        name="Tiny ImageNet" + (" (subset)" if len(train_files) < 100_000 else ""),
        source=str(data_dir),
        train_images=tuple(train_files[name] for name in train_names),
        crop_size=TINY_IMAGENET_SIZE,
        test=_split_from_uint8(val_images, val_labels, limit=None, seed=seed),
        skipped_gray=gray,
        class_names=tuple(wnids),
    )


def photo_batches(images, crop_size, batch_size, targets=None, shuffle=False, seed=0):
    """A ``tf.data.Dataset`` of training batches from encoded images (bytes) or image paths.

    Each image is decoded (bytes: by TensorFlow, JPEG, PNG, BMP, GIF; paths: by Pillow), scaled
    so that its shorter side is ``crop_size`` (never enlarged beyond it), and cut to a random
    ``crop_size`` square, flipped left-right at random (``_centre_crop`` is the deterministic crop,
    for evaluation). ``targets`` maps a float32 RGB batch ``(N, S, S, 3)`` in [0, 1] to ``(gray, targets)`` (numpy, run inside the pipeline); without
    it the batches are the RGB images.
    """
    import tensorflow as tf

    images = list(images)
    from_files = bool(images) and isinstance(images[0], str)
    dataset = tf.data.Dataset.from_tensor_slices(tf.constant(images))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)

    def decode(encoded):
        if from_files:  # Pillow reads every format the package takes (TIFF, WebP, 16-bit, CMYK, EXIF)
            rgb = tf.numpy_function(_decode_with_pillow, [encoded], tf.uint8)
            rgb.set_shape((None, None, 3))
        else:
            rgb = tf.io.decode_image(encoded, channels=3, expand_animations=False)
        shape = tf.cast(tf.shape(rgb)[:2], tf.float32)
        scale = tf.minimum(1.0, crop_size / tf.reduce_min(shape))
        size = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), crop_size)
        rgb = tf.image.resize(tf.cast(rgb, tf.float32) / 255.0, size, method="area", antialias=True)
        rgb = tf.image.random_crop(rgb, (crop_size, crop_size, 3), seed=seed)
        rgb = tf.image.random_flip_left_right(rgb, seed=seed)
        return tf.clip_by_value(rgb, 0.0, 1.0)

    dataset = dataset.map(decode).batch(batch_size)
    if targets is not None:
        dataset = dataset.map(_numpy_targets(targets, crop_size))
    options = tf.data.Options()
    options.autotune.enabled = False  # its threads compete with training on 2 cores (see in_memory_batches)
    return dataset.prefetch(2).with_options(options)


PHOTO_CROP_SIZE = WORKING_SIZE  # training crops of a photo folder: the size the colorizer works at
VALIDATION_PERCENT = 10  # of a photo folder's files, picked by a hash of each file's path


def _in_validation(relative_path):
    import zlib

    return zlib.crc32(relative_path.encode()) % 100 < VALIDATION_PERCENT


def load_photo_folder(data_dir, limit=None, seed=0, crop_size=PHOTO_CROP_SIZE):
    """Any folder of colour photos (searched recursively; any size; every format the package reads).

    Gray files are skipped and counted. A fixed ``VALIDATION_PERCENT`` of the files (chosen by a
    hash of their path, so adding photos never moves old ones between splits) is held out: whole
    photos in ``test_photos``, their centre crops in ``test``. Training photos are streamed by
    ``photo_batches``: scaled so the shorter side is ``crop_size``, cut at random, flipped.
    """
    if data_dir is None:
        raise DataSourceError("a photo folder data set needs --data PATH: a folder of colour photos.")
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataSourceError(f"photo folder {root} " + ("is not a folder." if root.exists() else "does not exist."))
    files = sorted(p for p in root.rglob("*") if is_image_file(p))
    readable, colour = [], []
    for path in files:
        try:
            colour.append(_is_colour(path))
            readable.append(path)
        except Exception as error:  # one bad file must not stop the rest: say which and go on
            print(f"skipped {path}: not a readable image ({type(error).__name__}: {error})")
    photos = [path for path, keep in zip(readable, colour) if keep]
    if not photos:
        raise DataSourceError(f"{root} holds no colour photos (looked for {', '.join(INPUT_SUFFIXES)}; "
                              f"{colour.count(False)} gray files skipped).")
    train = [str(p) for p in photos if not _in_validation(p.relative_to(root).as_posix())]
    test = [str(p) for p in photos if _in_validation(p.relative_to(root).as_posix())]
    if limit is not None:
        order = np.random.default_rng(seed)
        train = sorted(order.permutation(train)[:limit].tolist()) if train else train
        test = sorted(order.permutation(test)[:limit].tolist()) if test else test
    if not train or not test:
        raise DataSourceError(f"{root} has {len(photos)} colour photos; at least two are needed, and "
                              f"{VALIDATION_PERCENT}% of the files are held out for validation: add photos.")
    crops = np.stack([_centre_crop(path, crop_size) for path in test]).astype(np.float32) / 255.0
    return PhotoSet(
        name=f"photo folder {root.name}", source=str(root), train_images=tuple(train), crop_size=crop_size,
        test=Split(gray=rgb_to_gray(crops), rgb=crops, labels=np.zeros(len(crops), dtype=np.int64)),
        test_photos=tuple(test), skipped_gray=colour.count(False), class_names=("photo",),
    )


def _decode_with_pillow(path):
    """Any image the package reads, as uint8 RGB (EXIF orientation applied)."""
    from PIL import Image, ImageOps

    with Image.open(path.decode() if isinstance(path, bytes) else path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"), dtype=np.uint8)


def _numpy_targets(targets, crop_size):
    """``targets`` (numpy) as a tf.data map function, with the static shapes Keras and XLA want."""
    import tensorflow as tf

    probe_gray, probe_target = targets(np.zeros((1, crop_size, crop_size, 3), np.float32))
    probes = [probe_gray, *map(np.asarray, tf.nest.flatten(probe_target))]

    def compute(batch):
        gray, target = targets(batch)
        return [gray, *tf.nest.flatten(target)]

    def wrapped(rgb):
        outputs = tf.numpy_function(compute, [rgb], [tf.as_dtype(probe.dtype) for probe in probes])
        for output, probe in zip(outputs, probes):
            output.set_shape((None, *probe.shape[1:]))
        return outputs[0], tf.nest.pack_sequence_as(probe_target, list(outputs[1:]))

    return wrapped


def decoded_training_sample(dataset, count, seed=0):
    """``count`` training images of a data set, picked at random with ``seed``, as float32 RGB
    ``(count, S, S, 3)`` in [0, 1]: photo sets' images decoded with Pillow and cut to their centre
    crop (no TensorFlow, so it also runs on other Keras backends)."""
    if not isinstance(dataset, PhotoSet):
        chosen = balanced_subset(dataset.train.labels, min(count, len(dataset.train)), seed)
        return dataset.train.rgb[chosen]
    chosen = np.sort(np.random.default_rng(seed).permutation(len(dataset.train_images))[:count])
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        images = list(pool.map(lambda i: _centre_crop(dataset.train_images[i], dataset.crop_size), chosen))
    return np.stack(images).astype(np.float32) / 255.0


def _centre_crop(image, crop_size):
    """An encoded image or path -> uint8 RGB, scaled so its shorter side is ``crop_size``, centre crop."""
    from PIL import Image

    rgb = _decode_uint8(image) if isinstance(image, bytes) else _decode_with_pillow(image)
    height, width = rgb.shape[:2]
    scale = min(1.0, crop_size / min(height, width))
    if scale < 1.0:
        size = (max(crop_size, round(width * scale)), max(crop_size, round(height * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
        height, width = rgb.shape[:2]
    top, left = max(0, (height - crop_size) // 2), max(0, (width - crop_size) // 2)
    rgb = rgb[top:top + crop_size, left:left + crop_size]
    return np.pad(rgb, [(0, crop_size - rgb.shape[0]), (0, crop_size - rgb.shape[1]), (0, 0)], mode="edge")


def training_ab_prior(dataset, sample=5000, seed=0):
    """Frequency of each ab bin over a data set's training images (all of them for in-memory
    splits, a fixed sample of ``sample`` centre crops for photo sets): ``color.ab_bin_prior``."""
    from colorize_cnn.color import ab_bin_prior, rgb_to_lab

    rgb = decoded_training_sample(dataset, sample, seed) if isinstance(dataset, PhotoSet) else dataset.train.rgb
    return ab_bin_prior(rgb_to_lab(rgb)[..., 1:])


# --- the registry ----------------------------------------------------------------------------

DATASETS = {
    "cifar10": load_cifar10,
    "tiny_imagenet": load_tiny_imagenet,
    "photo_folder": load_photo_folder,
}


def load_dataset(name, data_dir=None, limit=None, seed=0):
    """The data set registered as ``name`` (see ``DATASETS``), read from ``data_dir``."""
    if name not in DATASETS:
        raise DataSourceError(f"unknown data set {name!r}. Known data sets: {', '.join(DATASETS)}.")
    return DATASETS[name](data_dir, limit=limit, seed=seed)
