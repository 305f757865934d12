import numpy as np
import pytest

from colorize_cnn import heads
from colorize_cnn.color import AB_RANGE, NUM_AB_BINS
from colorize_cnn.hints import with_hint_planes
from colorize_cnn.models import MODEL_NAMES, build_model, with_ab_decoding
from tests.conftest import SMALL



@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_maps_gray_to_colour(name):
    model = build_model(name, **SMALL.get(name, {}))
    assert model.name == name
    gray = np.random.default_rng(0).random((2, 32, 32, 1), dtype=np.float32)
    outputs = model(with_hint_planes(gray) if heads.takes_hints(model) else gray)
    side = 32 // heads.output_stride(model)
    for output in (outputs.values() if isinstance(outputs, dict) else [outputs]):
        output = np.asarray(output)
        channels = output.shape[-1]
        assert output.shape[:3] == (2, side, side) and channels in (3, 2, NUM_AB_BINS)
        if channels == 3:
            assert output.min() >= 0.0 and output.max() <= 1.0
        elif channels == 2:
            assert np.abs(output).max() <= AB_RANGE
        else:
            np.testing.assert_allclose(output.sum(axis=-1), 1.0, rtol=1e-4)


@pytest.mark.parametrize("name", ["unet_regression", "unet_classification"])
def test_fully_convolutional_models_take_any_size(name):
    model = build_model(name, base_filters=4)
    if name == "unet_classification":
        model = with_ab_decoding(model)
    output = np.asarray(model(np.zeros((1, 24, 40, 1), dtype=np.float32)))
    assert output.shape == (1, 24, 40, 2)
    assert np.abs(output).max() <= AB_RANGE


def test_filters_are_a_keyword():
    assert build_model("conv_flatten_dense", filters=2).count_params() < build_model("conv_flatten_dense", filters=4).count_params()


def test_unknown_model_name():
    with pytest.raises(ValueError, match="Unknown model name 'resnet'.*conv_flatten_dense"):
        build_model("resnet")


def test_photo_model_predicts_both_heads_at_half_resolution_for_any_size():
    model = build_model("unet_photo", base_filters=4)
    outputs = model(np.zeros((1, 24, 40, 1), dtype=np.float32))
    assert heads.output_kind(model) == heads.TWO_HEADS and heads.output_stride(model) == 2
    assert outputs["ab"].shape == (1, 12, 20, 2) and outputs["ab_bins"].shape == (1, 12, 20, NUM_AB_BINS)


def test_photo_model_refuses_an_impossible_output_stride():
    with pytest.raises(ValueError, match="output_stride"):
        build_model("unet_photo", output_stride=3)


def test_scene_context_lets_the_whole_photo_steer_every_pixel_and_reloads(tmp_path):
    import keras

    gray = np.random.default_rng(1).random((1, 128, 96, 1), dtype=np.float32)
    changed = gray.copy()
    changed[:, :24, :24] = 1.0  # one corner of the photo
    for name, reaches in (("unet_photo", False), ("unet_photo_context", True)):
        model = build_model(name, base_filters=4)
        far_corner = [np.asarray(model(image)["ab"])[0, -4:, -4:] for image in (gray, changed)]
        assert (np.abs(far_corner[0] - far_corner[1]).max() > 1e-6) == reaches, name
    model.save(tmp_path / "context.keras")
    reloaded = keras.saving.load_model(tmp_path / "context.keras")
    np.testing.assert_allclose(np.asarray(reloaded(gray)["ab"]), np.asarray(model(gray)["ab"]), atol=1e-5)


def test_a_network_grown_by_dilated_blocks_starts_as_the_trained_one_and_sees_farther(tmp_path):
    import keras

    from colorize_cnn.models import GROWN_PREFIX, transfer_weights

    trained = build_model("unet_photo", base_filters=4)
    grown = transfer_weights(trained, build_model("unet_photo", base_filters=4, dilated_blocks=2))
    assert grown.count_params() > trained.count_params()
    gray = np.random.default_rng(2).random((1, 96, 128, 1), dtype=np.float32)
    for head in ("ab", "ab_bins"):
        np.testing.assert_allclose(np.asarray(grown(gray)[head]), np.asarray(trained(gray)[head]),
                                   rtol=1e-5, atol=1e-5)  # oneDNN order
    for layer in grown.layers:  # as if trained: the blocks' last scales leave zero
        if layer.name.endswith("_bn2") and layer.name.startswith(GROWN_PREFIX):
            layer.gamma.assign(np.ones(layer.gamma.shape, np.float32))
    changed = gray.copy()
    changed[:, :8, :8] = 1.0  # one corner; the other lies 140 px away, beyond the plain U-Net's reach
    for model, reaches in ((trained, False), (grown, True)):
        far_corner = [np.asarray(model(image)["ab"])[0, -4:, -4:] for image in (gray, changed)]
        assert (np.abs(far_corner[0] - far_corner[1]).max() > 1e-6) == reaches, model.name
    grown.save(tmp_path / "grown.keras")
    reloaded = keras.saving.load_model(tmp_path / "grown.keras")
    np.testing.assert_allclose(np.asarray(reloaded(gray)["ab"]), np.asarray(grown(gray)["ab"]), atol=1e-5)


def test_growing_refuses_a_source_without_the_other_layers():
    from colorize_cnn.models import transfer_weights

    with pytest.raises(ValueError, match="no counterpart"):
        transfer_weights(build_model("unet_regression", base_filters=4),
                         build_model("unet_photo", base_filters=4, dilated_blocks=1))
