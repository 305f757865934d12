"""The output kinds: training targets, losses, and the one decode from a network's output to colour."""

import numpy as np
import pytest

from colorize_cnn import color, heads
from colorize_cnn.colorize import colorize, load_colorizer
from colorize_cnn.errors import BadArgumentError
from colorize_cnn.models import MODEL_NAMES, build_model, with_ab_decoding
from colorize_cnn.hints import network_input
from tests.conftest import SMALL, make_images

KINDS = {"flatten_dense": heads.RGB, "conv_flatten_dense": heads.RGB, "batchnorm_conv_flatten_dense": heads.RGB,
         "unet_regression": heads.AB, "unet_classification": heads.AB_BINS, "unet_photo": heads.TWO_HEADS,
         "unet_photo_context": heads.TWO_HEADS, "unet_hints": heads.TWO_HEADS}


@pytest.fixture(scope="module")
def rgb():
    return make_images(6, seed=5).astype(np.float32) / 255.0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_has_a_kind_targets_and_a_loss_that_fit_it(name, rgb):
    import keras

    model = build_model(name, **SMALL.get(name, {}))
    kind, stride = heads.output_kind(model), heads.output_stride(model)
    assert kind == KINDS[name]
    targets = heads.fit_targets(kind, rgb, stride)
    loss, loss_weights = heads.training_loss(kind, np.ones(color.NUM_AB_BINS, np.float32))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, loss_weights=loss_weights, jit_compile=False)
    inputs = network_input(rgb, heads.takes_hints(model), np.random.default_rng(0))  # gray (and hints)
    history = model.fit(inputs, targets, epochs=2, batch_size=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_half_resolution_targets_are_the_mean_of_each_block(rgb):
    full = color.rgb_to_lab(rgb)[..., 1:]
    half = heads.fit_targets(heads.AB, rgb, stride=2)
    assert half.shape == (6, 16, 16, 2)
    np.testing.assert_allclose(half[:, 3, 5], full[:, 6:8, 10:12].mean(axis=(1, 2)), atol=1e-4)
    both = heads.fit_targets(heads.TWO_HEADS, rgb, stride=2)
    np.testing.assert_array_equal(both["ab_bins"], color.ab_to_bin(half))


def test_rebalanced_cross_entropy_weights_each_pixel_by_its_bin():
    from colorize_cnn.models import RebalancedCrossEntropy

    probabilities = np.full((1, 1, 2, color.NUM_AB_BINS), 1.0 / color.NUM_AB_BINS, np.float32)
    bins = np.array([[[3, 7]]])
    weights = np.ones(color.NUM_AB_BINS, np.float32)
    weights[7] = 3.0
    plain = float(RebalancedCrossEntropy()(bins, probabilities))
    rebalanced = float(RebalancedCrossEntropy(weights)(bins, probabilities))
    np.testing.assert_allclose(plain, np.log(color.NUM_AB_BINS), rtol=1e-5)
    np.testing.assert_allclose(rebalanced, 2 * np.log(color.NUM_AB_BINS), rtol=1e-5)  # mean of 1x and 3x


def test_vividness_moves_each_kind_from_safe_to_vivid():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 4, 4, color.NUM_AB_BINS)) * 3
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    regression = rng.uniform(-20, 20, size=(2, 4, 4, 2)).astype(np.float32)
    outputs = {"ab_bins": probabilities, "ab": regression}
    np.testing.assert_allclose(heads.decode_ab(outputs, heads.TWO_HEADS, 0.0), regression)
    vivid = heads.annealed_mean(probabilities, heads.VIVID_TEMPERATURE)
    np.testing.assert_allclose(heads.decode_ab(outputs, heads.TWO_HEADS, 1.0), vivid, atol=1e-4)
    np.testing.assert_allclose(heads.decode_ab(outputs, heads.TWO_HEADS, 0.5), (regression + vivid) / 2, atol=1e-4)
    chroma = [np.abs(heads.decode_ab(probabilities, heads.AB_BINS, v)).mean() for v in (0.0, 0.5, 1.0)]
    assert chroma[0] < chroma[1] < chroma[2]
    np.testing.assert_allclose(heads.decode_ab(regression, heads.AB, 1.0), regression * heads.MAX_CHROMA_GAIN)
    assert heads.temperature_for(0.0) == 1.0 and abs(heads.temperature_for(1.0) - 0.38) < 1e-9
    with pytest.raises(BadArgumentError, match="vividness"):
        heads.decode_ab(regression, heads.AB, 1.5)


def test_balance_pulls_each_image_overall_colour_to_neutral_and_keeps_the_rest():
    rng = np.random.default_rng(1)
    ab = (rng.uniform(-20, 20, size=(2, 4, 4, 2)) + np.array([[[[15, 30]]]], np.float32) * [[[[1]]], [[[-1]]]]).astype(np.float32)
    own = heads.decode_ab(ab, heads.AB, 0.0)
    for balance in (0.5, 1.0):
        pulled = heads.decode_ab(ab, heads.AB, 0.0, balance=balance)
        np.testing.assert_allclose(pulled.mean(axis=(1, 2)), (1 - balance) * own.mean(axis=(1, 2)), atol=1e-4)
        shift = pulled - own  # one shift per image: every pixel's colour relative to the others is kept
        np.testing.assert_allclose(shift, np.broadcast_to(shift[:, :1, :1], shift.shape), atol=1e-4)
    with pytest.raises(BadArgumentError, match="balance"):
        heads.decode_ab(ab, heads.AB, 0.0, balance=-0.1)


@pytest.mark.parametrize("name", ["unet_regression", "unet_photo"])
def test_balance_is_measured_on_the_image_not_on_its_padding(name):
    """A side that is not a multiple of the model's padding multiple: at balance 1 the chroma the
    image gets has no overall cast, whatever the padding held."""
    from colorize_cnn.colorize import ColorizeSession

    model = build_model(name, **SMALL[name])
    gray = color.rgb_to_gray(make_images(1, seed=5).astype(np.float32) / 255.0)[0, :29, :21, 0]
    session = ColorizeSession(gray, load_colorizer(model))
    assert session.working_shape == (29, 21)  # padded to 32 x 24 for the network
    np.testing.assert_allclose(session.chroma(balance=1.0).mean(axis=(0, 1)), 0.0, atol=1e-3)
    own = session.chroma(balance=0.0)
    assert np.abs(own.mean(axis=(0, 1))).max() > 1e-3  # so the test can fail


def test_a_baked_in_annealed_mean_is_taken_off_so_vividness_can_steer_it():
    classifier = build_model("unet_classification", base_filters=4)
    decoded = with_ab_decoding(classifier, temperature=1.0)
    assert heads.output_kind(decoded) == heads.AB
    assert heads.output_kind(heads.raw_model(decoded)) == heads.AB_BINS


@pytest.mark.parametrize("name", ["unet_regression", "unet_classification", "unet_photo", "conv_flatten_dense"])
@pytest.mark.parametrize("vividness", [0.0, 0.6])
def test_colorizer_and_evaluation_give_the_same_pixels(name, vividness):
    """The command line's path (colorize) and the metrics' path (predict_rgb) are one path."""
    model = build_model(name, **SMALL[name])
    gray = color.rgb_to_gray(make_images(3, seed=11).astype(np.float32) / 255.0)
    batch = heads.predict_rgb(model, gray, vividness)
    colorizer = load_colorizer(model)
    one_by_one = np.stack([colorize(image, colorizer, working_size=32, vividness=vividness) for image in gray])
    np.testing.assert_allclose(one_by_one, batch, atol=1e-4)  # oneDNN: batch of 3 against batches of 1 (1e-5 was seen flaking by 1.001e-5; a uint8 step is 4e-3)


def test_own_rgb_is_the_original_models_own_output():
    model = build_model("flatten_dense")
    gray = color.rgb_to_gray(make_images(2, seed=1).astype(np.float32) / 255.0)
    own = heads.predict_rgb(model, gray, own_rgb=True)
    np.testing.assert_allclose(own, np.clip(np.asarray(model(gray)), 0, 1), atol=1e-6)
    with pytest.raises(ValueError, match="RGB output"):
        heads.predict_rgb(build_model("unet_regression", base_filters=4), gray, own_rgb=True)
