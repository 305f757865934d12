"""What a network's output means, and the one way from it to colour.

Every model maps gray ``(N, H, W, 1)`` in [0, 1] to one of four output kinds:

============  =============================================  ===================  ==============
kind          output                                         training target      loss
============  =============================================  ===================  ==============
``rgb``       sRGB ``(N, H, W, 3)`` in [0, 1]                 the colour image     MSE
``ab``        CIELAB ab ``(N, h, w, 2)``                      true ab              L1
``ab_bins``   softmax over the 484 ab bins ``(N, h, w, 484)``  bin of the true ab   rebalanced CE
``two_heads`` dict ``{"ab_bins": ..., "ab": ...}``            both                 both, weighted
============  =============================================  ===================  ==============

``h x w`` is the input's size divided by the model's output stride (1 or 2). For each kind this
module gives the training targets and loss, and **one** decode from the network's output to ab
(``decode_ab``), steered by one ``vividness`` in [0, 1] from the model's safest output (0) to its
most vivid (1):

* ``two_heads``: ``(1 - v) * regression + v * annealed mean of the bins at T = 0.38``;
* ``ab_bins``: the annealed mean at a temperature from 1.0 (v = 0, the distribution's mean) to
  0.38 (v = 1, Zhang et al. 2016's choice), geometrically;
* ``ab`` and ``rgb``: the chroma scaled by ``1 + v``.

A second control, ``balance`` in [0, 1], moves each image's overall colour (its mean a* and b*) that
share of the way to neutral gray ("gray world"), every pixel's colour otherwise unchanged: 0 keeps
the network's own balance, 1 leaves no overall cast. The network's balance is its weakest guess (a
photo's overall colour is ambiguous from gray, and the training set's warm mean shows through), so a
partial pull towards neutral trades a little colour for far fewer ruined photos (README, "What
was tried against the cast").

``colorize_cnn.colorize`` (one image of any size) and ``colorize_cnn.evaluate`` (batches of test
images) both go through ``predict_ab`` and ``color.recombine``, so the metrics measure what the
command line produces.
"""

import numpy as np

from colorize_cnn import color
from colorize_cnn.errors import BadArgumentError, UserError, shown

RGB, AB, AB_BINS, TWO_HEADS = "rgb", "ab", "ab_bins", "two_heads"
VIVID_TEMPERATURE = color.ZHANG_TEMPERATURE  # the vivid end of the control
SAFE_TEMPERATURE = 1.0  # the plain mean of the predicted distribution
REGRESSION_LOSS_WEIGHT = 0.02  # two heads: L1 in CIELAB units against cross-entropy in nats
MAX_CHROMA_GAIN = 2.0  # ab and rgb models: chroma x (1 + vividness), vividness <= 1


class NotAColorizerError(UserError, ValueError):
    """A model whose input or output is not one of the kinds above."""


def takes_hints(model):
    """Whether ``model``'s input is gray joined to hint planes (``colorize_cnn.hints``)."""
    from colorize_cnn.hints import HINT_CHANNELS

    return model.input_shape[-1] == 1 + HINT_CHANNELS


def output_kind(model):
    """The kind of ``model``'s output (see the module docstring)."""
    try:
        outputs, output = model.output_shape, model.output
    except AttributeError:  # a model that was never built has no output to speak of
        outputs = output = None
    if isinstance(output, dict) and set(output) == {AB_BINS, AB}:
        shapes = {name: tuple(tensor.shape) for name, tensor in output.items()}
        if shapes[AB_BINS][-1] == color.NUM_AB_BINS and shapes[AB][-1] == 2 and (model.input_shape[-1] == 1
                                                                                 or takes_hints(model)):
            return TWO_HEADS
    elif isinstance(outputs, tuple) and model.input_shape[-1] == 1 and len(outputs) == 4:
        kind = {3: RGB, 2: AB, color.NUM_AB_BINS: AB_BINS}.get(outputs[-1])
        if kind is not None:
            return kind
    raise NotAColorizerError(
        f"model {model.name!r} is not a colorizer: it maps {model.input_shape} to {outputs}, but a colorizer "
        "maps gray (N, H, W, 1) to images of RGB (3 channels), ab (2) or ab bins (484), or to both heads (a hint "
        "model: gray joined to 3 hint planes, to both heads)."
    )


def raw_model(model):
    """``model`` without a baked-in annealed-mean layer (models saved by earlier versions had one):
    decoding and its temperature belong to ``decode_ab``."""
    import keras

    from colorize_cnn.models import AnnealedMeanAB

    decoder = next((layer for layer in model.layers if isinstance(layer, AnnealedMeanAB)), None)
    if decoder is None:
        return model
    return keras.Model(model.input, decoder.input, name=model.name)


def output_stride(model):
    """How many input pixels one output pixel spans along each side (1 or 2), from the shapes the
    model gives a probe input (traced symbolically: nothing is computed)."""
    import keras

    if model.input_shape[1] is not None:  # fixed-size models (the original three) are full size
        return 1
    side = 16 * padding_multiple(model)
    probe = keras.KerasTensor((1, side, side, model.input_shape[-1]))
    outputs = model.compute_output_spec([probe] if isinstance(model.input, list) else probe)
    first = outputs[AB] if isinstance(outputs, dict) else keras.tree.flatten(outputs)[0]
    return side // int(first.shape[1])


def padding_multiple(model):
    """Input sides of a fully convolutional model must be multiples of this (2 ** pooling levels)."""
    import keras

    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    return 2 ** len(pools)


# --- training --------------------------------------------------------------------------------

def fit_targets(kind, rgb, stride=1):
    """Training targets for a batch of colour images ``(N, H, W, 3)`` in [0, 1].

    ab targets at an output stride of 2 are the mean of each 2x2 block (JPEG stores photo chroma
    at that resolution). Bins are those of that ab.
    """
    if kind == RGB:
        return np.asarray(rgb, dtype=np.float32)
    ab = color.rgb_to_lab(rgb)[..., 1:]
    if stride > 1:
        count, height, width, _ = ab.shape
        ab = ab[:, : height - height % stride, : width - width % stride]
        ab = ab.reshape(count, height // stride, stride, width // stride, stride, 2).mean(axis=(2, 4))
    if kind == AB:
        return ab
    bins = color.ab_to_bin(ab)
    if kind == AB_BINS:
        return bins
    return {AB_BINS: bins, AB: ab}


def training_loss(kind, bin_weights=None):
    """The loss (or per-head losses, and their weights) that ``model.compile`` takes for ``kind``."""
    from colorize_cnn.models import RebalancedCrossEntropy

    if kind == RGB:
        return "mse", None
    if kind == AB:
        return "mae", None
    cross_entropy = RebalancedCrossEntropy(bin_weights)
    if kind == AB_BINS:
        return cross_entropy, None
    return {AB_BINS: cross_entropy, AB: "mae"}, {AB_BINS: 1.0, AB: REGRESSION_LOSS_WEIGHT}


# --- decoding --------------------------------------------------------------------------------

def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_vividness(vividness):
    if not _is_real(vividness) or not 0.0 <= vividness <= 1.0:
        raise BadArgumentError(f"vividness must be in [0, 1] (0 = safest, 1 = most vivid). Received: vividness={shown(vividness)}")
    return float(vividness)


def check_balance(balance):
    if not _is_real(balance) or not 0.0 <= balance <= 1.0:
        raise BadArgumentError("balance must be in [0, 1] (0 = the network's own overall colour, 1 = no overall "
                               f"cast). Received: balance={shown(balance)}")
    return float(balance)


def annealed_mean(probabilities, temperature):
    """Zhang et al. 2016: ab of the bin distribution sharpened by ``temperature`` (1 = its mean)."""
    logits = np.log(np.maximum(probabilities, 1e-8)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    annealed = np.exp(logits)
    annealed /= annealed.sum(axis=-1, keepdims=True)
    return annealed @ color.ab_bin_centers()


def temperature_for(vividness):
    """The annealed-mean temperature of a bin classifier at ``vividness`` (1.0 -> 0.38, geometric)."""
    return float(SAFE_TEMPERATURE ** (1 - vividness) * VIVID_TEMPERATURE**vividness)


def decode_ab(outputs, kind, vividness, gray=None, balance=0.0):
    """The network's raw ``outputs`` for a batch -> float32 ab ``(N, h, w, 2)``.

    ``gray`` (``(N, H, W, 1)``) is needed for ``rgb`` outputs, whose own lightness is replaced by
    the input's: only their chroma is kept. ``balance``: the share of each image's mean ab taken
    away (see the module docstring); the outputs must cover the image alone (no padding).
    """
    ab = _decode_vivid(outputs, kind, check_vividness(vividness), gray)
    balance = check_balance(balance)
    if balance:
        ab = ab - np.float32(balance) * ab.mean(axis=(1, 2), keepdims=True)
    return ab


def _decode_vivid(outputs, kind, vividness, gray):
    if kind == TWO_HEADS:
        safe = np.asarray(outputs[AB], dtype=np.float32)
        if vividness == 0.0:
            return safe
        vivid = annealed_mean(np.asarray(outputs[AB_BINS], dtype=np.float32), VIVID_TEMPERATURE)
        return ((1 - vividness) * safe + vividness * vivid).astype(np.float32)
    if kind == AB_BINS:
        return annealed_mean(np.asarray(outputs, dtype=np.float32), temperature_for(vividness)).astype(np.float32)
    if kind == RGB:
        ab = color.rgb_to_lab(np.clip(np.asarray(outputs, dtype=np.float32), 0.0, 1.0))[..., 1:]
    else:
        ab = np.asarray(outputs, dtype=np.float32)
    return (ab * (1.0 + (MAX_CHROMA_GAIN - 1.0) * vividness)).astype(np.float32)


def network_outputs(model, batch):
    """``model``'s raw outputs (numpy) for one batch; gray alone ``(N, H, W, 1)`` is given to a hint
    model with no hints."""
    batch = np.asarray(batch, dtype=np.float32)
    if takes_hints(model) and batch.shape[-1] == 1:
        from colorize_cnn.hints import with_hint_planes

        batch = with_hint_planes(batch)
    # models saved by earlier versions take a list of one input
    outputs = model([batch] if isinstance(model.input, list) else batch, training=False)
    return {name: np.asarray(value) for name, value in outputs.items()} if isinstance(outputs, dict) \
        else np.asarray(outputs)


def predict_ab(model, gray, vividness, batch_size=64, balance=0.0):
    """Chroma for a batch of gray images ``(N, H, W, 1)`` (sides multiples of ``padding_multiple``
    for fully convolutional models) at the model's output resolution. A hint model takes its
    hint planes joined to the gray (``hints.with_hint_planes``), or gray alone for no hints."""
    kind = output_kind(model)
    chunks = []
    for start in range(0, len(gray), batch_size):
        batch = gray[start:start + batch_size]
        chunks.append(decode_ab(network_outputs(model, batch), kind, vividness, batch[..., :1], balance))
    return np.concatenate(chunks)


def predict_rgb(model, gray, vividness=0.0, own_rgb=False, batch_size=64, balance=0.0):
    """Colours a batch of gray images at their own size: ``(N, H, W, 1)`` -> ``(N, H, W, 3)`` in [0, 1].

    The chroma is joined to the input's lightness exactly as ``colorize`` does (``color.recombine``).
    ``own_rgb=True`` instead returns an ``rgb`` model's own output, lightness included: what the
    results table measures for the three original experiments, whose story is that they must
    re-create the lightness too.
    """
    gray = np.asarray(gray, dtype=np.float32)
    if own_rgb:
        if output_kind(model) != RGB:
            raise ValueError("own_rgb=True is for models with RGB output only.")
        return np.clip(np.asarray(model.predict(gray, batch_size=batch_size, verbose=0), np.float32), 0.0, 1.0)
    ab = predict_ab(model, gray, vividness, batch_size, balance)
    lightness = color.gray_to_lightness(gray[..., 0])
    return np.stack([color.recombine(lightness[index], ab[index]) for index in range(len(gray))])
