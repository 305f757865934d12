"""Photo data sets: Tiny ImageNet (the official zip or its folder) and any folder of photos.

Training images stay encoded (file bytes or paths) and are decoded, cropped and flipped in a
tf.data pipeline (``colorize_cnn.data.pipeline``), so a folder larger than memory trains too.
Evaluation images are decoded once.
"""

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from colorize_cnn.color import rgb_to_gray
from colorize_cnn.config import WORKING_SIZE
from colorize_cnn.data.splits import DataSourceError, Split, balanced_subset, split_from_uint8
from colorize_cnn.images import GRAY_TOLERANCE, INPUT_SUFFIXES, is_image_file

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
    # each training image's class (an index into class_names), -1 where none is known; empty: no labels
    train_labels: tuple = ()
    # several sets in one training stream (``mix_photo_sets``): ((image count, weight), ...), the
    # consecutive parts of ``train_images`` and how often a training image is drawn from each
    mix: tuple = ()

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
        keep = balanced_subset(train_labels, limit, seed)
        train_names, train_labels = [train_names[i] for i in keep], train_labels[keep]
        keep = balanced_subset(val_labels, limit, seed)
        val_names, val_labels = [val_names[i] for i in keep], val_labels[keep]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        val_images = np.stack(list(pool.map(_decode_uint8, [val_files[n] for n in val_names], chunksize=256)))
    return PhotoSet(
        name="Tiny ImageNet" + (" (subset)" if len(train_files) < 100_000 else ""),
        source=str(data_dir),
        train_images=tuple(train_files[name] for name in train_names),
        crop_size=TINY_IMAGENET_SIZE,
        test=split_from_uint8(val_images, val_labels, limit=None, seed=seed),
        skipped_gray=gray,
        class_names=tuple(wnids),
        train_labels=tuple(int(label) for label in train_labels),
    )


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


def mix_photo_sets(sets, weights=None):
    """Photo sets joined in one training stream: each training image is drawn from set ``i`` with
    probability ``weights[i]`` (normalised; default: equal), so a small set of whole photographs can
    weigh as much as 100,000 small ones (``pipeline.photo_batches``). The held-out images of all
    sets are evaluated together, their classes named per set."""
    sets = list(sets)
    if not all(isinstance(dataset, PhotoSet) for dataset in sets):
        raise DataSourceError("only photo data sets (tiny_imagenet, photo_folder) mix in one training stream.")
    weights = [1.0] * len(sets) if weights is None else [float(weight) for weight in weights]
    if len(weights) != len(sets) or any(weight < 0 for weight in weights) or not sum(weights):
        raise DataSourceError(f"a mix of {len(sets)} data sets needs as many weights, none negative, not all 0. "
                              f"Received: {weights}")
    if len({dataset.crop_size for dataset in sets}) != 1:
        raise DataSourceError("the data sets of a mix must train at one crop size. Received: "
                              + ", ".join(f"{dataset.name} {dataset.crop_size}" for dataset in sets))
    offsets = np.cumsum([0] + [len(dataset.class_names) for dataset in sets])
    total = sum(weights)
    return PhotoSet(
        name=" + ".join(f"{dataset.name} ({weight / total:.0%})" for dataset, weight in zip(sets, weights)),
        source=" + ".join(dataset.source for dataset in sets),
        train_images=tuple(image for dataset in sets for image in dataset.train_images),
        crop_size=sets[0].crop_size,
        test=Split(gray=np.concatenate([dataset.test.gray for dataset in sets]),
                   rgb=np.concatenate([dataset.test.rgb for dataset in sets]),
                   labels=np.concatenate([dataset.test.labels + offset for dataset, offset in zip(sets, offsets)])),
        test_photos=tuple(photo for dataset in sets for photo in dataset.test_photos),
        skipped_gray=sum(dataset.skipped_gray for dataset in sets),
        class_names=tuple(name for dataset in sets for name in dataset.class_names),
        train_labels=tuple(label + offset if label >= 0 else -1 for dataset, offset in zip(sets, offsets)
                           for label in dataset.train_labels or (-1,) * dataset.train_size)
        if any(dataset.train_labels for dataset in sets) else (),
        mix=tuple((dataset.train_size, weight / total) for dataset, weight in zip(sets, weights)),
    )


def _decode_with_pillow(path):
    """Any image the package reads, as uint8 RGB (EXIF orientation applied)."""
    from PIL import Image, ImageOps

    with Image.open(path.decode() if isinstance(path, bytes) else path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"), dtype=np.uint8)


def decoded_training_sample(dataset, count, seed=0, exclude=None):
    """``count`` training images of a data set, picked at random with ``seed``, as float32 RGB
    ``(count, S, S, 3)`` in [0, 1]: photo sets' images decoded with Pillow and cut to their centre
    crop (no TensorFlow, so it also runs on other Keras backends). ``exclude``: a photo set whose
    training images (the same bytes) are never picked, e.g. the subset a model trained on, to
    choose on images that it never saw. A mix is sampled at its weights (with repeats: a small set
    may weigh more than it holds)."""
    if not isinstance(dataset, PhotoSet):
        chosen = balanced_subset(dataset.train.labels, min(count, len(dataset.train)), seed)
        return dataset.train.rgb[chosen]
    candidates = np.arange(len(dataset.train_images))
    if exclude is not None:
        seen = set(exclude.train_images)
        candidates = np.asarray([index for index in candidates if dataset.train_images[index] not in seen], dtype=int)
        if not len(candidates):
            raise DataSourceError(f"every training image of {dataset.source} is also in {exclude.source}: none is "
                                  "held out; pass the full data set and the subset the model trained on.")
    rng = np.random.default_rng(seed)
    if dataset.mix:
        chance = np.concatenate([np.full(size, weight / size) for size, weight in dataset.mix])[candidates]
        chosen = np.sort(rng.choice(candidates, count, p=chance / chance.sum()))
    else:
        chosen = np.sort(candidates[rng.permutation(len(candidates))[:count]])
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
    """Frequency of each ab bin over a data set's training images (``color.ab_bin_prior``): the one
    place the prior is computed. ``dataset``: in-memory splits (all their training images), a photo
    set (a fixed sample of ``sample`` centre crops), or float RGB images ``(N, S, S, 3)`` (the
    first ``sample``)."""
    from colorize_cnn.color import ab_bin_prior, rgb_to_lab

    if isinstance(dataset, np.ndarray):
        rgb = dataset[:sample]
    else:
        rgb = decoded_training_sample(dataset, sample, seed) if isinstance(dataset, PhotoSet) else dataset.train.rgb
    return ab_bin_prior(rgb_to_lab(rgb)[..., 1:])


def load_photos(folder, limit=None, names=None):
    """The colour photos in ``folder``, whole (sorted by name; only ``names`` if given), as
    ``(names, float32 RGB arrays in [0, 1])``: the one loader of evaluation photos (BSDS500's
    splits, a folder to choose a decoding on)."""
    from PIL import Image

    folder = Path(folder)
    if not folder.is_dir():
        raise DataSourceError(f"photo folder {folder} does not exist; pass the folder of colour photos to evaluate on.")
    paths = sorted(p for p in folder.iterdir() if is_image_file(p) and (names is None or p.name in names))[:limit]
    if not paths:
        raise DataSourceError(f"{folder} holds no photos ({', '.join(INPUT_SUFFIXES)}).")
    photos = []
    for path in paths:
        try:
            with Image.open(path) as image:
                photos.append(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
        except (OSError, SyntaxError, ValueError) as error:
            raise DataSourceError(f"cannot read photo {path} ({type(error).__name__}: {error}); remove or replace "
                                  "it: the evaluation's photo set must be whole.") from None
    return [path.name for path in paths], photos
