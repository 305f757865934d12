import numpy as np
import pytest

from colorize_cnn import color, metrics


def test_psnr_by_hand():
    truth = np.zeros((1, 4, 4, 3))
    predicted = truth + 0.1  # MSE 0.01 -> 20 dB
    assert metrics.psnr_per_image(predicted, truth) == pytest.approx([20.0])


def test_identical_images_score_perfectly():
    images = np.random.default_rng(0).random((2, 8, 8, 3))
    assert metrics.psnr_per_image(images, images).tolist() == [metrics.PSNR_CAP_DB] * 2
    assert metrics.ssim_per_image(images, images) == pytest.approx([1.0, 1.0])
    ab = color.rgb_to_lab(images)[..., 1:]
    assert metrics.auc_per_image(ab, ab) == pytest.approx([100.0, 100.0])
    assert metrics.auc_per_image(ab, ab, prior=np.full(color.NUM_AB_BINS, 1 / color.NUM_AB_BINS)) == pytest.approx([100.0] * 2)
    lab = color.rgb_to_lab(images)
    assert metrics.acc2_per_image(lab, lab) == pytest.approx([100.0, 100.0])


def test_auc_by_hand():
    true_ab = np.zeros((1, 1, 2, 2))
    predicted_ab = np.array([[[[3.0, 4.0], [0.0, 0.0]]]])  # errors 5 and 0
    # Acc(t) = 0.5 for t = 0..4 and 1 for t = 5..150: mean = (5 * 0.5 + 146) / 151
    assert metrics.auc_per_image(predicted_ab, true_ab) == pytest.approx([100 * (2.5 + 146) / 151])
    far = np.array([[[[200.0, 0.0], [200.0, 0.0]]]])
    assert metrics.auc_per_image(far, true_ab) == pytest.approx([0.0])


def test_rebalanced_auc_weights_rare_colours():
    true_ab = np.array([[[[0.0, 0.0], [60.0, 60.0]]]])
    predicted_ab = np.array([[[[0.0, 0.0], [0.0, 0.0]]]])  # right on the common colour only
    prior = np.zeros(color.NUM_AB_BINS)
    prior[color.ab_to_bin(np.zeros(2))] = 0.9
    prior[color.ab_to_bin(np.array([60.0, 60.0]))] = 0.1
    plain = metrics.auc_per_image(predicted_ab, true_ab)[0]
    rebalanced = metrics.auc_per_image(predicted_ab, true_ab, prior)[0]
    assert rebalanced < plain
    # weights 1/0.9 and 1/0.1: the common pixel counts 0.1 of the total; the rare one's error is 84.85
    expected = 100 * (0.1 * 151 + 0.9 * (151 - 85)) / 151
    assert rebalanced == pytest.approx(expected)


def test_acc2_tolerances():
    truth = np.zeros((1, 1, 4, 3))
    predicted = np.array([[[[2.0, 4.4, -4.4], [2.1, 0, 0], [0, 4.5, 0], [0, 0, -4.5]]]])
    assert metrics.acc2_per_image(predicted, truth) == pytest.approx([25.0])


def test_colourfulness():
    gray = np.repeat(np.random.default_rng(0).random((2, 8, 8, 1)), 3, axis=-1)
    assert metrics.colourfulness_per_image(gray) == pytest.approx([0.0, 0.0])
    red = np.zeros((1, 2, 2, 3))
    red[..., 0] = 1.0  # rg = 255, yb = 127.5 everywhere: no spread, CF = 0.3 * |(255, 127.5)|
    assert metrics.colourfulness_per_image(red) == pytest.approx([0.3 * np.hypot(255, 127.5)])
    half = np.zeros((1, 1, 2, 3))
    half[0, 0, 0] = [1.0, 0.0, 0.0]  # signed form: rg = (255, 0), yb = (127.5, 0)
    expected = np.hypot(127.5, 63.75) + 0.3 * np.hypot(127.5, 63.75)
    assert metrics.colourfulness_per_image(half) == pytest.approx([expected])


def test_evaluate_means_and_classes():
    rng = np.random.default_rng(0)
    truth = rng.random((6, 8, 8, 3)).astype(np.float32)
    labels = np.array([0, 0, 1, 1, 2, 2])
    prior = color.ab_bin_prior(color.rgb_to_lab(truth)[..., 1:])
    result = metrics.evaluate(truth, truth, labels, ("a", "b", "c", "d"), prior)
    assert set(result["per_class"]) == {"a", "b", "c"}
    assert result["mean"]["auc"] == pytest.approx(100.0)
    assert result["mean"]["colourfulness_ratio"] == pytest.approx(1.0)
    gray = color.gray_to_rgb(color.rgb_to_gray(truth))
    baseline = metrics.evaluate(gray, truth, labels, ("a", "b", "c"), prior)["mean"]
    assert baseline["colourfulness"] == pytest.approx(0.0, abs=1e-3)
    assert baseline["psnr"] < 100 and 0 < baseline["auc"] < 100


def _photos_with_cast(shift_b, count=10, seed=0):
    """Smooth, nearly gray photos (stone, snow) and the same photos with b* moved by ``shift_b``
    (a yellow cast if > 0)."""
    rng = np.random.default_rng(seed)
    x = np.mgrid[0:16, 0:16][1] / 15.0
    truths = np.clip(rng.uniform(0.3, 0.7, (count, 1, 1, 1)) + 0.2 * x[None, ..., None]
                     + rng.uniform(-0.03, 0.03, (count, 1, 1, 3)), 0, 1)
    lab = color.rgb_to_lab(truths)
    lab[..., 2] += shift_b
    return truths, color.lab_to_rgb(lab)


def test_cast_and_harm_see_a_yellow_cast_and_the_photos_it_ruins():
    from colorize_cnn import evaluate

    truths, cast = _photos_with_cast(+20.0)
    values = metrics.per_image_metrics(cast, truths, prior=np.full(color.NUM_AB_BINS, 1 / color.NUM_AB_BINS))
    measured = metrics.cast_and_harm(values)
    assert 15.0 < measured["cast_b"] < 21.0 and abs(measured["cast_a"]) < 5.0  # gamut clipping takes a little
    assert measured["abs_cast_b"] == pytest.approx(measured["cast_b"])
    assert measured["below_gray_3db"] == measured["below_gray_1db"] == 100.0 and measured["worst_10_vs_gray"] < -3
    fixed = evaluate.summarise(evaluate.photo_metrics([evaluate.with_true_balance(c, t) for c, t in zip(cast, truths)],
                                                      list(truths), np.full(color.NUM_AB_BINS, 1 / color.NUM_AB_BINS)))
    assert fixed["psnr_vs_gray"] > 10 and fixed["below_gray_1db"] == 0.0 and abs(fixed["cast_b"]) < 1.0


def test_vividness_choice_refuses_settings_that_harm_too_many_photos():
    from colorize_cnn import decoding

    scores = {"0.0": {"psnr": 23.0, "below_gray_3db": 2.0}, "0.5": {"psnr": 23.5, "below_gray_3db": 8.0}}
    assert decoding.pick_vividness(scores, gray_psnr=22.0) == 0.0  # 0.5 has the better mean, and ruins 8%
    fronts = {"a": [{"vividness": 0.0, "psnr": 23.0, "psnr_vs_gray": 1.0, "below_gray_3db": 0.0},
                    {"vividness": 0.5, "psnr": 22.5, "psnr_vs_gray": 0.5, "below_gray_3db": 1.0}],
              "b": [{"vividness": 0.0, "psnr": 23.0, "psnr_vs_gray": 0.2, "below_gray_3db": 0.0},
                    {"vividness": 0.5, "psnr": 22.5, "psnr_vs_gray": -0.3, "below_gray_3db": 1.0}]}
    assert decoding.pick_vividness_on_sets(fronts) == 0.0  # 0.5 falls below gray on set b


def test_decoding_choice_weighs_every_validation_set(monkeypatch):
    from colorize_cnn import decoding, evaluate

    def values(gains, colourfulness=10.0):  # per-photo values of one set at one setting
        gains = np.asarray(gains, dtype=np.float64)
        zeros = np.zeros_like(gains)
        return {"psnr": 25.0 + gains, "gray_psnr": np.full_like(gains, 25.0), "colourfulness": colourfulness + zeros,
                "truth_colourfulness": 20.0 + zeros, "mean_a": zeros, "mean_b": zeros, "truth_mean_a": zeros,
                "truth_mean_b": zeros}

    # settings in the grid's order: (0, 0), (1, 0), (0, 0.5), (1, 0.5). No setting is acceptable on both sets (each ruins > 5% of one set's photos): (0, 0) is best on
    # set a by a hair and far worse on set b; (0, 0.5) has the best mean over the two sets
    grid = {"a": [values([2.0] * 9 + [-4.0]), values([-1.0] * 10), values([1.9] * 9 + [-4.0]), values([-1.0] * 10)],
            "b": [values([-0.5] * 8 + [-4.0] * 2), values([-1.0] * 10), values([0.5] * 9 + [-4.0]), values([-1.0] * 10)]}
    monkeypatch.setattr(evaluate, "decoding_grid", lambda colorizer, photos, chosen: grid[photos])
    choice, fronts = decoding.choose_on_photo_sets(None, {"a": "a", "b": "b"}, vividness=(0.0, 1.0), balance=(0.0, 0.5))
    assert choice == (0.0, 0.5) and [len(points) for points in fronts.values()] == [4, 4]
    # where some settings are acceptable on every set, the most colourful of them wins
    grid = {"a": [values([1.0] * 10, 5.0), values([1.0] * 10, 8.0), values([1.0] * 10, 12.0), values([5.0] * 9 + [-4.0])],
            "b": [values([1.0] * 10, 6.0), values([1.0] * 10, 9.0), values([-0.5] * 10, 14.0), values([5.0] * 10)]}
    assert decoding.choose_on_photo_sets(None, {"a": "a", "b": "b"}, vividness=(0.0, 1.0), balance=(0.0, 0.5))[0] == (1.0, 0.0)
