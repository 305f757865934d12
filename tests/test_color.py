import numpy as np
import pytest

from colorize_cnn import color


def test_gray_has_the_lightness_of_the_colour_image():
    rgb = np.random.default_rng(0).random((3, 9, 7, 3), dtype=np.float32)
    gray = color.rgb_to_gray(rgb)
    assert gray.shape == (3, 9, 7, 1) and gray.dtype == np.float32
    lab_of_gray = color.rgb_to_lab(color.gray_to_rgb(gray))
    np.testing.assert_allclose(lab_of_gray[..., 0], color.rgb_to_lab(rgb)[..., 0], atol=1e-3)
    np.testing.assert_allclose(lab_of_gray[..., 1:], 0.0, atol=1e-2)


def test_gray_of_a_gray_image_is_itself():
    gray = np.linspace(0, 1, 50, dtype=np.float32).reshape(5, 10, 1)
    np.testing.assert_allclose(color.rgb_to_gray(color.gray_to_rgb(gray)), gray, atol=1e-5)


@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 65535)])
def test_lightness_of_integer_gray_matches_float(dtype, top):
    values = np.linspace(0, top, 97).astype(dtype)
    np.testing.assert_allclose(
        color.gray_to_lightness(values), color.gray_to_lightness(values.astype(np.float32) / top), atol=1e-4
    )
    assert color.gray_to_lightness(np.array([0, top], dtype=dtype)).tolist() == pytest.approx([0.0, 100.0], abs=1e-3)


def test_bin_centres_fall_in_their_own_bins():
    centres = color.ab_bin_centers()
    assert centres.shape == (color.NUM_AB_BINS, 2)
    np.testing.assert_array_equal(color.ab_to_bin(centres), np.arange(color.NUM_AB_BINS))


def test_prior_and_rebalancing_weights():
    ab = np.zeros((4, 4, 2), dtype=np.float32)
    ab[0, 0] = [50, -50]
    prior = color.ab_bin_prior(ab)
    assert prior.sum() == pytest.approx(1.0)
    assert prior[color.ab_to_bin(np.zeros(2))] == pytest.approx(15 / 16)
    weights = color.rebalancing_weights(prior, mix=0.5)
    assert np.sum(prior * weights) == pytest.approx(1.0, rel=1e-5)
    assert weights[color.ab_to_bin(np.array([50.0, -50.0]))] > weights[color.ab_to_bin(np.zeros(2))]
    np.testing.assert_allclose(color.rebalancing_weights(prior, mix=1.0), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="mix"):
        color.rebalancing_weights(prior, mix=1.5)


@pytest.mark.parametrize("upsampling", color.UPSAMPLING_METHODS)
@pytest.mark.parametrize("height, width", [(1, 1), (5, 3), (40, 64)])
def test_recombine_keeps_size_and_lightness(height, width, upsampling, monkeypatch):
    monkeypatch.setattr(color, "_CHUNK_PIXELS", 50)  # several bands of rows, even on small images
    rng = np.random.default_rng(1)
    lightness = rng.uniform(0, 100, size=(height, width)).astype(np.float32)
    ab = rng.uniform(-100, 100, size=(4, 4, 2)).astype(np.float32)  # much of it out of gamut
    rgb = color.recombine(lightness, ab, upsampling=upsampling)
    assert rgb.shape == (height, width, 3) and rgb.dtype == np.float32
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    np.testing.assert_allclose(color.rgb_to_lab(rgb)[..., 0], lightness, atol=0.01)
    for dtype, scale, tolerance in ((np.uint8, 255, 0.5), (np.uint16, 65535, 0.01)):
        as_integers = color.recombine(lightness, ab, dtype=dtype, upsampling=upsampling)
        assert as_integers.dtype == dtype
        np.testing.assert_allclose(as_integers / scale, rgb, atol=0.6 / scale)  # rounding, + table steps
        np.testing.assert_allclose(color.rgb_to_lab(as_integers / scale)[..., 0], lightness, atol=tolerance)


def test_recombine_in_bands_equals_whole(monkeypatch):
    rng = np.random.default_rng(2)
    lightness = rng.uniform(0, 100, size=(37, 23)).astype(np.float32)
    ab = rng.uniform(-40, 40, size=(5, 4, 2)).astype(np.float32)
    whole = {method: color.recombine(lightness, ab, upsampling=method) for method in color.UPSAMPLING_METHODS}
    monkeypatch.setattr(color, "_CHUNK_PIXELS", 23 * 3)
    for method in color.UPSAMPLING_METHODS:
        np.testing.assert_allclose(color.recombine(lightness, ab, upsampling=method), whole[method], atol=1e-5)


@pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")
def test_lab_to_rgb_matches_scikit_image_inside_the_gamut():
    from skimage import color as skcolor

    rng = np.random.default_rng(3)
    lab = np.stack([rng.uniform(0, 100, 5000), rng.uniform(-60, 60, 5000), rng.uniform(-60, 60, 5000)], -1)
    reference = skcolor.lab2rgb(lab)
    inside = ((reference > 0) & (reference < 1)).all(axis=-1)
    assert inside.sum() > 1000
    np.testing.assert_allclose(color.lab_to_rgb(lab)[inside], reference[inside], atol=1e-4)


def test_joint_bilateral_upsampling_keeps_colour_on_its_side_of_an_edge():
    # dark red left half, bright blue right half, the edge between chroma samples: bilinear
    # upsampling mixes the two colours on both sides of it; the lightness-guided one does not
    lightness = np.where(np.arange(90) < 50, 30.0, 80.0).astype(np.float32)[None, :].repeat(30, axis=0)
    ab = np.where(lightness[..., None] < 50, np.float32([50, 30]), np.float32([-10, -50]))
    small_ab = np.stack([color.resize_plane(ab[..., channel], 3, 9) for channel in (0, 1)], axis=-1)
    errors = {}
    for method in ("joint_bilateral", "bilinear"):
        rgb = color.recombine(lightness, small_ab, upsampling=method)
        errors[method] = np.abs(color.rgb_to_lab(rgb)[..., 1:] - ab)[:, 40:60].mean()
    assert errors["joint_bilateral"] < 0.5 * errors["bilinear"]


def test_recombine_refuses_an_unknown_upsampling():
    with pytest.raises(ValueError, match="upsampling"):
        color.recombine(np.zeros((4, 4), np.float32), np.zeros((2, 2, 2), np.float32), upsampling="nearest")

def test_gray_from_rgb8_is_rgb_to_gray_in_eight_bits():
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)
    expected = np.rint(color.rgb_to_gray(rgb / 255.0)[..., 0] * 255)
    assert np.abs(color.gray_from_rgb8(rgb).astype(np.float64) - expected).max() <= 1
    with pytest.raises(ValueError, match="uint8 RGB"):
        color.gray_from_rgb8(rgb.astype(np.float32))


def test_constants_agree_with_scikit_image():
    from skimage import color as skcolor

    np.testing.assert_allclose(color._RGB_FROM_XYZ, skcolor.colorconv.rgb_from_xyz, rtol=1e-5)
    np.testing.assert_allclose(color._XYZ_WHITE, skcolor.xyz_tristimulus_values(illuminant="D65", observer="2"))
    levels = np.arange(65536, dtype=np.uint16)
    expected = skcolor.rgb2lab(np.repeat(levels[:, None] / 65535.0, 3, axis=1))[:, 0]
    np.testing.assert_allclose(color.gray_to_lightness(levels), expected, atol=1e-3)
    np.testing.assert_allclose(color.gray_to_lightness(np.arange(256, dtype=np.uint8)), expected[::257], atol=1e-3)
