"""Training batches through tf.data: streamed from encoded images or image files, or from arrays in memory."""

import numpy as np

from colorize_cnn.config import CLASS_OUTPUT
from colorize_cnn.data.photos import _decode_with_pillow


def photo_batches(images, crop_size, batch_size, targets=None, shuffle=False, seed=0, shard=None, mix=None,
                  repeat=False, labels=None):
    """A ``tf.data.Dataset`` of training batches from encoded images (bytes) or image paths.

    Each image is decoded (bytes: by TensorFlow, JPEG, PNG, BMP, GIF; paths: by Pillow), scaled
    so that its shorter side is ``crop_size`` (never enlarged beyond it), and cut to a random
    ``crop_size`` square, flipped left-right at random (``_centre_crop`` is the deterministic crop,
    for evaluation). ``targets`` maps a float32 RGB batch ``(N, S, S, 3)`` in [0, 1] to ``(gray, targets)`` (numpy, run inside the pipeline); without
    it the batches are the RGB images. ``shard``: a slice (``distribution.shard``): every process
    cuts each global batch the same way and keeps only its slice (of encoded images, before
    decoding, without a mix). ``mix``: ((count, weight), ...), consecutive parts of ``images``
    drawn at these weights (``tf.data.Dataset.sample_from_datasets``), without end. ``repeat``: the
    images again and again (the caller counts the steps of an epoch). ``labels``: each image's class
    (-1: unknown), carried with its crop into the targets as ``targets[CLASS_OUTPUT]`` (``targets``
    must then give a dict).
    """
    import tensorflow as tf

    images = list(images)
    labels = None if labels is None else np.asarray(labels, np.int64)

    def sliced(*batch):  # each process's slice of a global batch (of images, and of labels if any)
        return tuple(part[shard] for part in batch) if len(batch) > 1 else batch[0][shard]

    if mix:
        parts, start = [], 0
        for count, _ in mix:
            part = images[start:start + count]
            part_labels = None if labels is None else labels[start:start + count]
            parts.append(_crops(_encoded(part, shuffle, seed, part_labels).repeat(), _are_paths(part), crop_size, seed))
            start += count
        dataset = tf.data.Dataset.sample_from_datasets(parts, [weight for _, weight in mix], seed=seed)
        if shard is not None:  # the same draws in every process; each keeps its slice of a global batch
            dataset = dataset.batch(batch_size, drop_remainder=True).map(sliced)
        else:
            dataset = dataset.batch(batch_size)
    else:
        dataset = _encoded(images, shuffle, seed, labels)
        if repeat:
            dataset = dataset.repeat()
        if shard is not None:  # before decoding: each process reads only its own files
            dataset = dataset.batch(batch_size, drop_remainder=True).map(sliced).unbatch()
            batch_size = len(range(batch_size)[shard])
        dataset = _crops(dataset, _are_paths(images), crop_size, seed).batch(batch_size, drop_remainder=shard is not None)
    if targets is not None:
        dataset = dataset.map(_numpy_targets(targets, crop_size))
        if labels is not None:
            dataset = dataset.map(lambda gray, target, batch_labels: (gray, {**target, CLASS_OUTPUT: batch_labels}))
    options = tf.data.Options()
    options.autotune.enabled = False  # its threads compete with training on 2 cores (see in_memory_batches)
    return dataset.prefetch(2).with_options(options)


def _encoded(images, shuffle, seed, labels=None):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(tf.constant(images) if labels is None else
                                                 (tf.constant(images), tf.constant(labels)))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset


def _are_paths(images):
    return bool(images) and isinstance(images[0], str)


def _crops(dataset, from_files, crop_size, seed):
    """Encoded images (or paths: ``from_files``) -> random float32 RGB crops in [0, 1], flipped at random."""
    import tensorflow as tf

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

    return dataset.map(lambda encoded, *labels: (decode(encoded), *labels) if labels else decode(encoded))


def _numpy_targets(targets, crop_size):
    """``targets`` (numpy) as a tf.data map function, with the static shapes Keras and XLA want."""
    import tensorflow as tf

    probe_gray, probe_target = targets(np.zeros((1, crop_size, crop_size, 3), np.float32))
    probes = [probe_gray, *map(np.asarray, tf.nest.flatten(probe_target))]

    def compute(batch):
        gray, target = targets(batch)
        return [gray, *tf.nest.flatten(target)]

    def wrapped(rgb, *labels):  # labels, if any, pass through
        outputs = tf.numpy_function(compute, [rgb], [tf.as_dtype(probe.dtype) for probe in probes])
        for output, probe in zip(outputs, probes):
            output.set_shape((None, *probe.shape[1:]))
        return (outputs[0], tf.nest.pack_sequence_as(probe_target, list(outputs[1:])), *labels)

    return wrapped


def in_memory_batches(inputs, targets, batch_size=32, shuffle=False, seed=0, shard=None):
    """A ``tf.data.Dataset`` of ``(inputs, targets)`` batches from in-memory arrays (``targets`` may
    be a dict of arrays, one per output),
    reshuffled every epoch when ``shuffle`` (the last batch may be smaller, as in ``model.fit``).

    Why not ``model.fit(arrays)``: Keras's array pipeline runs tf.data's autotuner, whose threads
    compete with training for a 2-core CPU; in about 40% of epochs every step then idled 30 ms
    (103 instead of 70 ms per step for conv -> flatten -> dense, CPU time unchanged). A fixed
    one-batch prefetch with the autotuner off never showed it (benchmarks/train_throughput.py).

    ``shard``: a slice (``distribution.shard``): each global batch of ``batch_size`` is cut the
    same way in every process and this process gathers only its slice of it (incomplete last
    batches are dropped, as every process must take equal shares); the global batches are those of
    one process with the same seed.
    """
    import tensorflow as tf

    tensors = tf.nest.map_structure(tf.constant, (inputs, targets))
    indices = tf.data.Dataset.range(len(inputs))
    if shuffle:
        indices = indices.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    indices = indices.batch(batch_size, drop_remainder=shard is not None)
    if shard is not None:
        indices = indices.map(lambda index: index[shard])
    batches = indices.map(
        lambda index: tf.nest.map_structure(lambda tensor: tf.gather(tensor, index), tensors)
    )
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(1).with_options(options)
