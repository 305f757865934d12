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


@pytest.mark.parametrize("height, width", [(1, 1), (5, 3), (40, 64)])
def test_recombine_keeps_size_and_lightness(height, width):
    rng = np.random.default_rng(1)
    lightness = rng.uniform(20, 80, size=(height, width)).astype(np.float32)
    ab = rng.uniform(-20, 20, size=(4, 4, 2)).astype(np.float32)
    rgb = color.recombine(lightness, ab, chunk_rows=2)
    assert rgb.shape == (height, width, 3) and rgb.dtype == np.float32
    np.testing.assert_allclose(color.rgb_to_lab(rgb)[..., 0], lightness, atol=0.5)
    as_uint8 = color.recombine(lightness, ab, dtype=np.uint8)
    assert as_uint8.dtype == np.uint8
    np.testing.assert_allclose(as_uint8 / 255.0, rgb, atol=1 / 255)
