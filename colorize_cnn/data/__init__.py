"""Data sets by name: CIFAR-10 (``cifar10``), Tiny ImageNet (``tiny_imagenet``) and any folder
of colour photos (``photo_folder``), each as gray/colour pairs.

``load_dataset(name, data_dir)`` picks one (several names and folders: one training stream, mixed
at their weights); ``DATASETS`` lists them. Every split is a ``Split`` of
``gray`` float32 ``(N, S, S, 1)`` in [0, 1] (the CIELAB lightness of ``rgb``: one formula,
``colorize_cnn.color.rgb_to_gray``), ``rgb`` float32 ``(N, S, S, 3)`` in [0, 1] and ``labels``.
Photo sets keep their training images encoded and stream them (``pipeline.photo_batches``).

Modules: ``splits`` (what a data set is made of), ``cifar10``, ``photos`` (Tiny ImageNet and photo
folders), ``pipeline`` (tf.data).
"""

from colorize_cnn.data.cifar10 import CLASS_NAMES, DATA_ENV_VAR, IMAGE_SIZE, Cifar10, load_cifar10  # noqa: F401
from colorize_cnn.data.photos import (PhotoSet, decoded_training_sample, load_photo_folder,  # noqa: F401
                                      load_photos, load_tiny_imagenet, mix_photo_sets, training_ab_prior)
from colorize_cnn.data.pipeline import in_memory_batches, photo_batches  # noqa: F401
from colorize_cnn.data.splits import DataSourceError, Split, balanced_subset  # noqa: F401

# --- the registry ----------------------------------------------------------------------------

DATASETS = {
    "cifar10": load_cifar10,
    "tiny_imagenet": load_tiny_imagenet,
    "photo_folder": load_photo_folder,
}


def load_dataset(name, data_dir=None, limit=None, seed=0, weights=None, crop_size=None):
    """The data set registered as ``name`` (see ``DATASETS``), read from ``data_dir``; or, for a
    tuple of names and one of folders, those photo sets mixed at ``weights`` (``mix_photo_sets``).
    ``crop_size``: a photo folder's training crops (default: the working size); the other sets
    train at their own size."""
    if isinstance(name, (tuple, list)):
        folders = data_dir if isinstance(data_dir, (tuple, list)) else ()
        if len(folders) != len(name):
            raise DataSourceError(f"a mix of {', '.join(name)} needs one --data path for each, in that order. "
                                  f"Received: {data_dir!r}")
        return mix_photo_sets([load_dataset(part, folder, limit, seed, crop_size=crop_size)
                               for part, folder in zip(name, folders)], weights)
    if name not in DATASETS:
        raise DataSourceError(f"unknown data set {name!r}. Known data sets: {', '.join(DATASETS)}.")
    if crop_size is None:
        return DATASETS[name](data_dir, limit=limit, seed=seed)
    if name != "photo_folder":
        raise DataSourceError(f"{name} trains at its own image size; only a photo folder's training crops take "
                              f"another size. Received: crop_size={crop_size}")
    return load_photo_folder(data_dir, limit=limit, seed=seed, crop_size=crop_size)
