"""What every data set is made of: splits of gray/colour pairs, and the error a source that does
not work raises."""

import dataclasses

import numpy as np

from colorize_cnn.color import rgb_to_gray
from colorize_cnn.errors import UserError


class DataSourceError(UserError, RuntimeError):
    """No data source worked; the message names each one tried and how to supply a copy."""


@dataclasses.dataclass(frozen=True)
class Split:
    gray: np.ndarray
    rgb: np.ndarray
    labels: np.ndarray

    def __len__(self):
        return len(self.labels)


def split_from_uint8(images, labels, limit, seed):
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
