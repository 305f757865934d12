"""ONNX exports of the Keras colorizers, so that colorizing needs no framework (``colorize_cnn.networks``).

``python -m colorize_cnn.export [MODEL.keras ...]`` (``make onnx``; no argument: every bundled model)
writes ``MODEL.onnx`` beside each ``.keras`` file: any batch, height and width, and in its metadata
what ``colorize`` needs to decode it (output kind, stride, padding multiple) and the SHA-256 of the
``.keras`` file it came from. Each export is checked against its Keras model before it is kept:
outputs at most ``TOLERANCE`` apart on gray photos and hints (``compare``), else nothing is written.
``--compare-on FOLDER`` exports nothing: it colours each photo of a folder with each model on both
runtimes (hint models: with three hints from the photo's own colours) and prints how far apart
their 8-bit pixels are (``pixel_agreement``).

Why a layer of our own: since Keras 3.14, ``UpSampling2D(interpolation="bilinear")`` checks its
output size in Python (``ops.image.resize``), which fails on a symbolic height and width, so neither
``model.export(format="onnx")`` nor tf2onnx can export it with a dynamic size (keras-team/keras
#22079; fixed on Keras's master by #23315). ``BilinearUpSampling2x`` computes the same bilinear x2
upsampling (half-pixel centres, edges repeated, as ``tf.image.resize``) in slices and sums; the
export swaps it in for each such layer, weights shared, so the ``.keras`` files stay as trained.
"""

import argparse
import hashlib
import sys
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from colorize_cnn.colorizer import WEIGHTS_DIR, Colorizer, load_colorizer
from colorize_cnn.files import atomic_output
from colorize_cnn.hints import HINT_CHANNELS, hint_planes, make_hint
from colorize_cnn.networks import KERAS, METADATA_PREFIX, OnnxNetwork

TOLERANCE = 1e-4  # largest difference allowed between the ONNX and Keras outputs (ab units and probabilities)


class BilinearUpSampling2x(layers.Layer):
    """``UpSampling2D(2, interpolation="bilinear")`` in operations that export with any input size:
    each output pixel is 3/4 of its nearest input pixel and 1/4 of the next one along each axis
    (half-pixel centres; at the edges the edge pixel is repeated)."""

    def call(self, tensor):
        return self._double(self._double(tensor, 1), 2)

    @staticmethod
    def _double(tensor, axis):
        def part(start, stop):
            index = [slice(None)] * 4
            index[axis] = slice(start, stop)
            return tensor[tuple(index)]

        before = ops.concatenate([part(0, 1), part(None, -1)], axis=axis)
        after = ops.concatenate([part(1, None), part(-1, None)], axis=axis)
        even, odd = 0.25 * before + 0.75 * tensor, 0.75 * tensor + 0.25 * after
        shape = list(ops.shape(tensor))
        shape[axis] = shape[axis] * 2
        return ops.reshape(ops.stack([even, odd], axis=axis + 1), shape)  # even, odd, even, odd, ...

    def compute_output_shape(self, input_shape):
        return tuple(None if side is None or axis not in (1, 2) else 2 * side for axis, side in enumerate(input_shape))


def exportable(model):
    """``model`` with each bilinear x2 ``UpSampling2D`` replaced by ``BilinearUpSampling2x`` (the
    other layers, and so every weight, shared)."""

    def clone(layer):
        if isinstance(layer, layers.UpSampling2D) and layer.interpolation == "bilinear" and tuple(layer.size) == (2, 2):
            return BilinearUpSampling2x(name=layer.name)
        return layer

    return keras.models.clone_model(model, clone_function=clone)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def probe_batches(colorizer, seed=0):
    """Network inputs to compare two runtimes on: smooth gray scenes at a few working sizes (each
    side a multiple of the padding), joined to the planes of a few hints for a hint model."""
    random = np.random.default_rng(seed)
    multiple = colorizer.padding_multiple
    shapes = [colorizer.fixed_size] if colorizer.fixed_size else [(64, 48), (40, 64), (8 * multiple, 8 * multiple)]
    batches = []
    for height, width in shapes:
        rows, columns = np.mgrid[0:height, 0:width] / max(height, width)
        gray = 0.5 + 0.3 * np.sin(6 * rows + random.uniform(0, 6)) * np.cos(4 * columns + random.uniform(0, 6))
        gray = np.clip(gray + 0.05 * random.standard_normal((height, width)), 0, 1).astype(np.float32)
        batch = gray[None, ..., None]
        if colorizer.takes_hints:
            hints = [make_hint(random.uniform(0, width), random.uniform(0, height), tuple(random.integers(0, 256, 3)))
                     for _ in range(3)]
            batch = np.concatenate([batch, hint_planes(hints, (height, width), (height, width))[None]], axis=-1)
        batches.append(batch)
    return batches


def compare(first, second, batches):
    """The largest difference between two colorizers' raw outputs over ``batches``."""
    largest = 0.0
    for batch in batches:
        one, other = first.network(batch), second.network(batch)
        pairs = [(one[name], other[name]) for name in one] if isinstance(one, dict) else [(one, other)]
        largest = max(largest, *(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in pairs))
    return largest


def export_onnx(keras_path, onnx_path=None):
    """Exports the colorizer ``keras_path`` to ``onnx_path`` (default: beside it, ``.onnx``), checked
    against it (``compare``); returns the largest difference found."""
    import onnx

    keras_path = Path(keras_path)
    onnx_path = Path(onnx_path) if onnx_path else keras_path.with_suffix(".onnx")
    original = load_colorizer(keras_path, runtime=KERAS)
    height, width = original.fixed_size or (None, None)
    signature = [keras.InputSpec(shape=(None, height, width, 1 + HINT_CHANNELS * original.takes_hints),
                                 dtype="float32")]
    with atomic_output(onnx_path) as temporary:
        exportable(original.model).export(str(temporary), format="onnx", input_signature=signature, verbose=False)
        exported = onnx.load(str(temporary))
        facts = {"kind": original.kind, "stride": original.stride, "padding_multiple": original.padding_multiple,
                 "source": keras_path.name, "source_sha256": sha256(keras_path)}
        for key, value in facts.items():
            exported.metadata_props.add(key=METADATA_PREFIX + key, value=str(value))
        exported.doc_string = f"colorize-cnn: {keras_path.name} exported for ONNX Runtime (colorize_cnn.export)"
        onnx.save(exported, str(temporary))
        difference = compare(original, Colorizer(network=OnnxNetwork(temporary), name=str(temporary)),
                             probe_batches(original))
        if not difference <= TOLERANCE:
            raise RuntimeError(f"the ONNX export of {keras_path} differs from it by {difference:.2e} "
                               f"(more than {TOLERANCE:g}); nothing was written")
    return difference


def pixel_agreement(keras_path, photos, seed=0):
    """``colorize`` of each gray photo (float RGB ``(H, W, 3)``) on the ONNX export beside
    ``keras_path`` and on Keras: ``(largest difference in 8-bit levels, share of values that differ)``."""
    from colorize_cnn import color
    from colorize_cnn.colorize import colorize

    onnx, original = load_colorizer(Path(keras_path).with_suffix(".onnx")), load_colorizer(keras_path, runtime=KERAS)
    random, largest, differing, total = np.random.default_rng(seed), 0, 0, 0
    for rgb in photos:
        gray = np.rint(color.rgb_to_gray(rgb)[..., 0] * 255).astype(np.uint8)
        hints = None
        if original.takes_hints:
            points = [(int(random.integers(0, gray.shape[1])), int(random.integers(0, gray.shape[0]))) for _ in range(3)]
            hints = [(x, y, tuple(np.rint(rgb[y, x] * 255).astype(int))) for x, y in points]
        difference = np.abs(colorize(gray, onnx, hints=hints).astype(int) - colorize(gray, original, hints=hints))
        largest, differing, total = max(largest, int(difference.max())), differing + np.count_nonzero(difference), \
            total + difference.size
    return largest, differing / total


def main(argv=None):
    parser = argparse.ArgumentParser(description="Exports Keras colorizers to ONNX beside them, checked against them.")
    parser.add_argument("models", nargs="*", type=Path, help=".keras files (default: every bundled model)")
    parser.add_argument("--compare-on", type=Path, metavar="FOLDER", help="export nothing: compare the existing "
                        "exports' colorize() pixels with Keras's on this folder's colour photos")
    args = parser.parse_args(argv)
    from colorize_cnn.errors import report_errors

    with report_errors("colorize_cnn.export: error") as status:
        photos = None
        if args.compare_on:
            from colorize_cnn.data import load_photos

            photos = load_photos(args.compare_on)[1]
        for path in args.models or sorted(WEIGHTS_DIR.glob("*.keras")):
            if photos is None:
                difference = export_onnx(path)
                print(f"{path} -> {path.with_suffix('.onnx')} (largest difference from Keras: {difference:.1e})",
                      flush=True)
            else:
                largest, share = pixel_agreement(path, photos)
                print(f"{path.stem}: colorize() on {len(photos)} photos of {args.compare_on}, ONNX Runtime against "
                      f"Keras: at most {largest} levels apart, {share:.1e} of values differ", flush=True)
    return status.code


if __name__ == "__main__":
    sys.exit(main())
