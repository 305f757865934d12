import numpy as np
import pytest

from colorize_cnn import color
from colorize_cnn.colorize import ModelLoadError, colorize, load_colorizer
from colorize_cnn.models import build_model


@pytest.fixture(scope="module")
def unet(tiny_unet_file):
    return load_colorizer(tiny_unet_file)


@pytest.fixture(scope="module")
def original_model():
    return load_colorizer(build_model("conv_flatten_dense", filters=2))


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (100, 37), (33, 32, 1)])
@pytest.mark.parametrize("which", ["unet", "original_model"])
def test_any_size_keeps_size_and_lightness(shape, which, request):
    colorizer = request.getfixturevalue(which)
    gray = np.random.default_rng(0).integers(30, 220, size=shape, dtype=np.uint8)
    rgb = colorize(gray, colorizer)
    assert rgb.shape == (*shape[:2], 3) and rgb.dtype == np.uint8
    lightness = color.rgb_to_lab(rgb.astype(np.float32) / 255)[..., 0]
    # 8-bit rounding of R, G, B moves L by well under 1 unit
    np.testing.assert_allclose(lightness, color.gray_to_lightness(gray.reshape(shape[:2])), atol=1.0)


@pytest.mark.parametrize("dtype, top", [(np.uint16, 65535), (np.float16, 1.0), (np.float32, 1.0), (np.float64, 1.0)])
def test_output_type_follows_input(unet, dtype, top):
    gray = (np.linspace(0.1, 0.9, 20 * 30).reshape(20, 30) * top).astype(dtype)
    rgb = colorize(gray, unet)
    assert rgb.dtype == (np.uint16 if dtype == np.uint16 else np.float32)
    assert rgb.shape == (20, 30, 3)


def test_working_size_bounds_what_the_network_sees(unet):
    ab = unet.predict_ab(np.full((300, 1000), 0.5, dtype=np.float32), working_size=64)
    assert ab.shape == (19, 64, 2)


def test_a_model_works_at_the_working_size_its_json_names(tiny_unet_file, tmp_path):
    import shutil

    from colorize_cnn.errors import BadArgumentError
    from colorize_cnn.files import write_decoding

    path = tmp_path / "model.keras"
    shutil.copy(tiny_unet_file, path)
    write_decoding({"vividness": 0.0, "balance": 0.0, "working_size": 96}, path)
    colorizer = load_colorizer(path)
    gray = np.full((300, 1000), 0.5, dtype=np.float32)
    assert colorizer.working_size == 96 and colorizer.predict_ab(gray).shape == (29, 96, 2)
    assert colorizer.predict_ab(gray, working_size=64).shape == (19, 64, 2)  # a size asked for wins
    write_decoding({"working_size": 0}, path)
    with pytest.raises(BadArgumentError, match="working size"):
        load_colorizer(path)


@pytest.mark.parametrize("name, kind, stride", [(None, "two_heads", 2), ("unet_photo_mix_large", "two_heads", 2),
                                                ("unet_photo_mix", "two_heads", 2),
                                                ("unet_photo", "two_heads", 2), ("unet_classification", "ab_bins", 1),
                                                ("unet_regression", "ab", 1)])
def test_bundled_models_colorize(name, kind, stride):
    from colorize_cnn.colorize import load_colorizer

    colorizer = load_colorizer(name)  # the CIFAR-10 ones were saved by an earlier version (a list of one input)
    assert (colorizer.kind, colorizer.stride) == (kind, stride)
    rgb = colorize(np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1)), colorizer)
    assert rgb.shape == (48, 64, 3) and 0.0 <= rgb.min() and rgb.max() <= 1.0


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((0, 5), dtype=np.uint8), "zero size"),
        (np.zeros((4, 4, 3), dtype=np.uint8), "shape"),
        (np.full((4, 4), 2.0), r"\[0, 1\]"),
        (np.zeros((4, 4), dtype=np.int64), "dtype"),
    ],
)
def test_bad_arrays_are_refused(unet, bad, message):
    with pytest.raises(ValueError, match=message):
        colorize(bad, unet)


def test_absurdly_large_image_is_refused_before_any_work(unet):
    huge = np.broadcast_to(np.uint8(0), (20000, 20000))  # 400 MP, no memory allocated
    with pytest.raises(ValueError, match="megapixels"):
        colorize(huge, unet)


def test_bad_models_are_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="unknown model 'nope'.*default"):
        load_colorizer("nope")
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_colorizer(str(tmp_path / "missing.keras"))
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match="damaged or not a .keras file"):
        load_colorizer(str(garbage))
    good = tmp_path / "good.keras"
    import keras

    keras.Sequential([keras.Input((8,)), keras.layers.Dense(10)]).save(good)
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # cut short: exists, cannot load
    with pytest.raises(ModelLoadError, match="damaged"):
        load_colorizer(str(damaged))
    import keras

    classifier = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10)])
    path = tmp_path / "classifier.keras"
    classifier.save(path)
    with pytest.raises(ModelLoadError, match="not a colorizer"):
        load_colorizer(str(path))


def test_a_diverged_model_is_refused_and_extreme_colours_keep_the_lightness(tmp_path):
    from colorize_cnn import color
    from colorize_cnn.colorize import ModelOutputError, load_colorizer
    from colorize_cnn.models import build_model

    gray = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1))
    model = build_model("unet_regression", base_filters=4)
    kernel, bias = model.get_layer("ab_unit").get_weights()
    model.get_layer("ab_unit").set_weights([kernel * np.nan, bias])  # a diverged training run
    with pytest.raises(ModelOutputError, match="NaN"):
        colorize(gray, load_colorizer(model))
    extreme = build_model("unet_regression", base_filters=4)
    kernel, bias = extreme.get_layer("ab_unit").get_weights()
    extreme.get_layer("ab_unit").set_weights([kernel * 0, bias * 0 + 50.0])  # ab saturated at the range's edge
    rgb = colorize(gray, load_colorizer(extreme))
    np.testing.assert_allclose(color.rgb_to_lab(rgb)[..., 0], color.gray_to_lightness(gray), atol=0.01)


def test_a_models_decoding_file_sets_its_default_vividness_and_balance(tmp_path):
    import json

    from colorize_cnn.files import write_decoding

    model = build_model("unet_regression", base_filters=4)
    kernel, bias = model.get_layer("ab_unit").get_weights()
    model.get_layer("ab_unit").set_weights([kernel * 0, bias * 0 + 0.2])  # one colourful cast everywhere
    path = tmp_path / "cast.keras"
    model.save(path)
    gray = np.linspace(0.2, 0.8, 40 * 30, dtype=np.float32).reshape(40, 30)
    assert load_colorizer(path).balance == 0.0  # no file: the network's own colour
    write_decoding({"vividness": 0.25, "balance": 1.0}, path)
    colorizer = load_colorizer(path)
    assert (colorizer.vividness, colorizer.balance) == (0.25, 1.0)
    default, own = colorize(gray, colorizer), colorize(gray, colorizer, balance=0.0)
    chroma = [np.linalg.norm(color.rgb_to_lab(rgb)[..., 1:], axis=-1).mean() for rgb in (default, own)]
    assert chroma[0] < 0.05 * chroma[1]  # a cast and nothing else is taken away whole
    (tmp_path / "cast.json").write_text(json.dumps({"vividness": 0.0}))  # written before balance existed
    assert load_colorizer(path).balance == 0.0


def test_a_session_holds_a_preview_not_a_full_size_float_plane_and_renders_as_colorize():
    import tracemalloc

    from colorize_cnn.colorize import ColorizeSession

    colorizer = load_colorizer("unet_hints")
    y, x = np.mgrid[0:2400, 0:3200]
    gray = ((np.sin(x / 40) * np.cos(y / 30) + 1) * 127).astype(np.uint8)  # 7.7 MP
    hints = [{"x": 500, "y": 400, "color": "#d02020"}]
    tracemalloc.start()
    try:
        session = ColorizeSession(gray, colorizer, preview_pixels=100_000)
        session.preview(hints)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * gray.size  # under 2 bytes a pixel (the full-size lightness alone would be 4)
    np.testing.assert_array_equal(session.render(hints), colorize(gray, colorizer, hints=hints))
