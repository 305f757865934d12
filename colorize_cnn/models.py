"""Model builders, picked by name from one registry.

Every model takes the same input: ``gray`` float32 ``(batch, H, W, 1)`` in [0, 1] (see
``colorize_cnn.color``), joined to hint planes for a hint model (``colorize_cnn.hints``). What
comes out tells how to use it:

* 3 channels: sRGB in [0, 1] (the three original experiments; 32x32 only).
* 2 channels: CIELAB ab in CIELAB units (fully convolutional; any H x W).
* ``NUM_AB_BINS`` channels: a softmax over the ab bins (the training form of the classification
  U-Net); ``with_ab_decoding`` turns it into the 2-channel form for inference.

Usage in a notebook::

    from colorize_cnn.models import build_model, MODEL_NAMES
    model = build_model("conv_flatten_dense", filters=8)
"""

import math

import keras
import numpy as np
from keras import layers, ops

from colorize_cnn.config import CLASS_OUTPUT
from colorize_cnn.color import AB_RANGE, NUM_AB_BINS, ZHANG_TEMPERATURE, ab_bin_centers
from colorize_cnn.hints import HINT_CHANNELS

CIFAR_SHAPE = (32, 32, 1)


def _flatten_dense_head(features, name):
    flat = layers.Flatten(name="flatten")(features)
    dense = layers.Dense(32 * 32 * 3, activation="sigmoid", name="dense")(flat)
    return layers.Reshape((32, 32, 3), name="rgb")(dense)


def build_flatten_dense(input_shape=CIFAR_SHAPE):
    """Experiment 1: flatten the 32x32x1 input, one Dense layer to 3072 values, reshape to 32x32x3."""
    gray = keras.Input(shape=input_shape, name="gray")
    return keras.Model(gray, _flatten_dense_head(gray, "flatten_dense"), name="flatten_dense")


def build_conv_flatten_dense(filters=8, kernel_size=3, input_shape=CIFAR_SHAPE):
    """Experiment 2: a 3x3 convolution (context for each pixel), then flatten -> Dense(3072).

    The Dense layer has ``32 * 32 * filters * 3072`` weights: 25M for 8 filters, 100M for 32.
    """
    gray = keras.Input(shape=input_shape, name="gray")
    features = layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name="conv")(gray)
    return keras.Model(gray, _flatten_dense_head(features, "conv"), name="conv_flatten_dense")


def build_batchnorm_conv_flatten_dense(filters=8, kernel_size=3, input_shape=CIFAR_SHAPE):
    """Experiment 3: batch normalization in front of experiment 2's convolution."""
    gray = keras.Input(shape=input_shape, name="gray")
    normalized = layers.BatchNormalization(name="batchnorm")(gray)
    features = layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name="conv")(normalized)
    return keras.Model(gray, _flatten_dense_head(features, "conv"), name="batchnorm_conv_flatten_dense")


def _conv_block(tensor, filters, name):
    for index in (1, 2):
        tensor = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{index}")(tensor)
        tensor = layers.BatchNormalization(name=f"{name}_bn{index}")(tensor)
        tensor = layers.ReLU(name=f"{name}_relu{index}")(tensor)
    return tensor


@keras.saving.register_keras_serializable(package="colorize_cnn")
class BroadcastConcat(layers.Layer):
    """``[features (N, h, w, C), vector (N, D)]`` -> ``(N, h, w, C + D)``: the vector repeated at
    every position and joined to the features (the fusion layer of Iizuka et al. 2016)."""

    def call(self, inputs):
        features, vector = inputs
        shape = ops.shape(features)
        tiled = ops.broadcast_to(vector[:, None, None, :], (shape[0], shape[1], shape[2], ops.shape(vector)[-1]))
        return ops.concatenate([features, ops.cast(tiled, features.dtype)], axis=-1)

    def compute_output_shape(self, input_shapes):
        features, vector = input_shapes
        channels = None if features[-1] is None or vector[-1] is None else features[-1] + vector[-1]
        return (*features[:-1], channels)


def _global_context(tensor, filters):
    """Scene context (Iizuka et al. 2016): the bottleneck pooled over the whole image, a small dense
    stack, and the result fused into every position, so each pixel's colour can depend on what the
    whole photo shows (its overall colour balance most of all)."""
    pooled = layers.GlobalAveragePooling2D(name="context_pool")(tensor)
    vector = layers.Dense(2 * filters, activation="relu", name="context_dense1")(pooled)
    vector = layers.Dense(filters, activation="relu", name="context_dense2")(vector)
    fused = BroadcastConcat(name="context_broadcast")([tensor, vector])
    return layers.Conv2D(filters, 1, activation="relu", name="context_fuse")(fused)


GROWN_PREFIX = "dilated"  # layers that start as the identity, so a trained model's weights carry over without them


def _dilated_block(tensor, dilation, name):
    """A residual block of two 3 x 3 convolutions dilated by ``dilation`` (the dilated middle of Zhang
    et al. 2016: context from far across the image at no loss of resolution). Its last batch norm
    starts at zero scale (Goyal et al. 2017) and its input is a ReLU's, so a new block computes the
    identity: a trained U-Net grown by such blocks starts as the network it was."""
    filters, residual = tensor.shape[-1], tensor
    for index in (1, 2):
        residual = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, use_bias=False,
                                 name=f"{name}_conv{index}")(residual)
        residual = layers.BatchNormalization(gamma_initializer="zeros" if index == 2 else "ones",
                                             name=f"{name}_bn{index}")(residual)
        if index == 1:
            residual = layers.ReLU(name=f"{name}_relu1")(residual)
    return layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([tensor, residual]))


def _unet_features(gray, base_filters, depth, last_level=0, global_context=False, dilated_blocks=0):
    """Encoder-decoder features; the decoder stops at ``last_level`` (resolution 1 / 2**last_level).
    ``global_context`` fuses a whole-image summary into the bottleneck (``_global_context``);
    ``dilated_blocks`` residual blocks at the bottleneck, dilated 2, 4, 2, 4, ... (``_dilated_block``)."""
    skips, tensor = [], gray
    for level in range(depth):
        tensor = _conv_block(tensor, base_filters * 2**level, f"down{level}")
        skips.append(tensor)
        tensor = layers.MaxPooling2D(2, name=f"pool{level}")(tensor)
    tensor = _conv_block(tensor, base_filters * 2**depth, "bottom")
    for index in range(dilated_blocks):
        tensor = _dilated_block(tensor, 2 ** (1 + index % 2), f"{GROWN_PREFIX}{index}")
    if global_context:
        tensor = _global_context(tensor, base_filters * 2**depth)
    for level in reversed(range(last_level, depth)):
        tensor = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}")(tensor)
        tensor = layers.Concatenate(name=f"skip{level}")([tensor, skips[level]])
        tensor = _conv_block(tensor, base_filters * 2**level, f"dec{level}")
    return tensor


def build_unet_classification(base_filters=16, depth=3):
    """Fully convolutional U-Net, gray -> softmax over the 484 ab bins at every pixel.

    Input sides must be multiples of ``2**depth`` (the colorizer pads to that).
    """
    gray = keras.Input(shape=(None, None, 1), name="gray")
    features = _unet_features(gray, base_filters, depth)
    probabilities = layers.Conv2D(NUM_AB_BINS, 1, activation="softmax", name="ab_bins")(features)
    return keras.Model(gray, probabilities, name="unet_classification")


def build_unet_regression(base_filters=16, depth=3):
    """The same U-Net with a regression head: gray -> ab in CIELAB units (tanh scaled to +-110)."""
    gray = keras.Input(shape=(None, None, 1), name="gray")
    features = _unet_features(gray, base_filters, depth)
    ab = layers.Conv2D(2, 1, activation="tanh", name="ab_unit")(features)
    ab = layers.Rescaling(AB_RANGE, name="ab")(ab)
    return keras.Model(gray, ab, name="unet_regression")


def build_unet_photo(base_filters=32, depth=3, output_stride=2, global_context=False, hints=False, dilated_blocks=0,
                     name="unet_photo"):
    """The photo colorizer: one U-Net, two heads (Zhang et al. 2017), chroma at 1 / ``output_stride``.

    ``ab_bins``: a softmax over the 484 ab bins (trained with rebalanced cross-entropy: vivid);
    ``ab``: ab in CIELAB units (trained with L1: safe). Both at 1 / ``output_stride`` of the input's
    resolution: photos store chroma at half resolution (JPEG 4:2:0), and the colorizer brings it to
    full size anyway, so the last, most expensive decoder level would add cost and no colour.
    ``global_context``: a whole-image branch fused into the bottleneck (``unet_photo_context``).
    ``hints``: the input is the gray image joined to hint planes (``unet_hints``).
    ``dilated_blocks``: a larger network, with residual dilated blocks at the bottleneck; grown from a
    trained one (``transfer_weights``), it starts as that one.
    """
    last_level = int(round(math.log2(output_stride)))
    if 2**last_level != output_stride or not 0 <= last_level < depth:
        raise ValueError(f"output_stride must be a power of 2 below 2**depth. Received: output_stride={output_stride}")
    gray = keras.Input(shape=(None, None, 1 + HINT_CHANNELS if hints else 1), name="gray_hints" if hints else "gray")
    features = _unet_features(gray, base_filters, depth, last_level, global_context, dilated_blocks)
    probabilities = layers.Conv2D(NUM_AB_BINS, 1, activation="softmax", name="ab_bins")(features)
    ab = layers.Conv2D(2, 1, activation="tanh", name="ab_unit")(features)
    ab = layers.Rescaling(AB_RANGE, name="ab")(ab)
    return keras.Model(gray, {"ab_bins": probabilities, "ab": ab}, name=name)


def build_unet_photo_context(base_filters=32, depth=3, output_stride=2):
    """The photo colorizer with scene context: ``build_unet_photo`` plus a global branch (global
    pooling of the bottleneck, two dense layers, broadcast and fused back; Iizuka et al. 2016)."""
    return build_unet_photo(base_filters, depth, output_stride, global_context=True, name="unet_photo_context")


def build_unet_hints(base_filters=32, depth=3, output_stride=2):
    """The photo colorizer conditioned on user hints (Zhang, Zhu et al. 2017): ``build_unet_photo``
    whose input is gray ``(N, H, W, 1)`` joined to the hint planes of ``colorize_cnn.hints``
    (a*, b*, mask). Fine-tuned from ``unet_photo`` (``transfer_weights``) it starts as that model."""
    return build_unet_photo(base_filters, depth, output_stride, hints=True, name="unet_hints")


def transfer_weights(source, target):
    """Copies ``source``'s weights into ``target``, layer by layer by name. A layer whose kernel has
    more input channels in ``target`` (the first convolution of a hint model) gets the source's
    kernel for the channels it had and zeros for the new ones, so ``target`` computes what
    ``source`` did whatever the new inputs hold. Every layer of ``target`` with weights must exist
    in ``source``, but for those of blocks that start as the identity (named ``GROWN_PREFIX...``:
    ``dilated_blocks``), which keep their initial weights."""
    layers_by_name = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        if not layer.weights or (layer.name.startswith(GROWN_PREFIX) and layer.name not in layers_by_name):
            continue
        if layer.name not in layers_by_name:
            raise ValueError(f"layer {layer.name!r} of {target.name} has no counterpart in {source.name}")
        weights = []
        for old, new in zip(layers_by_name[layer.name].get_weights(), layer.get_weights()):
            if old.shape != new.shape:
                if old.ndim != 4 or old.shape[:2] + old.shape[3:] != new.shape[:2] + new.shape[3:]:
                    raise ValueError(f"layer {layer.name!r}: cannot fit weights of shape {old.shape} into {new.shape}")
                old = np.concatenate([old, np.zeros(new.shape[:2] + (new.shape[2] - old.shape[2], new.shape[3]),
                                                    old.dtype)], axis=2)
            weights.append(old)
        layer.set_weights(weights)
    return target


CLASS_FEATURES = "bottom_relu2"  # the U-Net's bottleneck, where the class head reads the scene


def with_class_head(model, classes, output=CLASS_OUTPUT):
    """``model`` (two heads, dict outputs) with a training-only third output ``output``: the
    bottleneck's features pooled over the image and a softmax over ``classes`` (an auxiliary
    classification loss, Iizuka et al. 2016: semantics for the colour). ``without_class_head``
    gives back the colorizer alone, sharing the layers."""
    if not isinstance(model.output, dict) or CLASS_FEATURES not in {layer.name for layer in model.layers}:
        raise ValueError(f"a class head needs a U-Net with dict outputs and a {CLASS_FEATURES!r} layer; "
                         f"{model.name} has not")
    pooled = layers.GlobalAveragePooling2D(name="class_pool")(model.get_layer(CLASS_FEATURES).output)
    scores = layers.Dense(classes, activation="softmax", dtype="float32", name=output)(pooled)
    return keras.Model(model.input, {**model.output, output: scores}, name=model.name)


def without_class_head(model, output=CLASS_OUTPUT):
    """The colorizer inside ``model`` (``with_class_head``'s), a new model of the same layers without
    ``output`` (and without optimizer state)."""
    outputs = model.output
    if isinstance(outputs, dict):
        outputs = {name: tensor for name, tensor in outputs.items() if name != output}
    return keras.Model(model.input, outputs, name=model.name)


@keras.saving.register_keras_serializable(package="colorize_cnn")
class AnnealedMeanAB(layers.Layer):
    """Bin probabilities -> ab by the annealed mean of Zhang et al. 2016.

    ``temperature`` 1 is the mean of the distribution (desaturated), towards 0 its mode
    (saturated but patchy); Zhang et al. use 0.38. Models saved by earlier versions of the package
    end in this layer; ``heads.raw_model`` takes it off, since decoding now belongs to ``heads``.
    """

    def __init__(self, temperature=ZHANG_TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        if temperature <= 0:
            raise ValueError(f"temperature must be positive. Received: temperature={temperature}")
        self.temperature = float(temperature)
        self.centers = ops.convert_to_tensor(ab_bin_centers())

    def call(self, probabilities):
        logits = ops.log(ops.maximum(probabilities, 1e-8)) / self.temperature
        annealed = ops.softmax(logits, axis=-1)
        return ops.tensordot(annealed, self.centers, axes=[[-1], [0]])

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="colorize_cnn")
class RebalancedCrossEntropy(keras.losses.Loss):
    """Cross-entropy over ab bins with each pixel weighted by its true bin's rebalancing weight
    (``color.rebalancing_weights``; Zhang et al. 2016). Targets: int bin indices ``(N, h, w)``."""

    def __init__(self, bin_weights=None, name="rebalanced_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.bin_weights = None if bin_weights is None else [float(weight) for weight in bin_weights]

    def call(self, y_true, y_pred):
        bins = ops.cast(y_true, "int32")
        cross_entropy = keras.losses.sparse_categorical_crossentropy(bins, y_pred)
        if self.bin_weights is None:
            return cross_entropy
        return cross_entropy * ops.take(ops.convert_to_tensor(self.bin_weights, dtype=cross_entropy.dtype), bins)

    def get_config(self):
        return {**super().get_config(), "bin_weights": self.bin_weights}


def with_ab_decoding(classifier, temperature=ZHANG_TEMPERATURE):
    """Wraps a bin classifier into a gray -> ab model (weights shared, nothing trained)."""
    ab = AnnealedMeanAB(temperature, name="ab")(classifier.output)
    return keras.Model(classifier.input, ab, name=classifier.name)


MODEL_BUILDERS = {
    "flatten_dense": build_flatten_dense,
    "conv_flatten_dense": build_conv_flatten_dense,
    "batchnorm_conv_flatten_dense": build_batchnorm_conv_flatten_dense,
    "unet_regression": build_unet_regression,
    "unet_classification": build_unet_classification,
    "unet_photo": build_unet_photo,
    "unet_photo_context": build_unet_photo_context,
    "unet_hints": build_unet_hints,
}
MODEL_NAMES = tuple(MODEL_BUILDERS)


def build_model(name, **kwargs):
    """Builds the registered model ``name`` with the builder's keyword arguments."""
    if name not in MODEL_BUILDERS:
        raise ValueError(f"Unknown model name {name!r}. Known models: {', '.join(MODEL_NAMES)}.")
    return MODEL_BUILDERS[name](**kwargs)
