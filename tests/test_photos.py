import shutil

import numpy as np
from PIL import Image

import pytest

from colorize_cnn.reports.photo_report import PhotoReportConfig, photo_demo, photo_report, working_size_sweep


def test_photo_demo_keeps_size_and_lightness(tmp_path, tiny_unet_file):
    rows = photo_demo({"tiny": str(tiny_unet_file)}, tmp_path / "photos.png", photos=("chelsea",))
    assert rows[0]["size"] == "451x300" and rows[0]["same size"] == "yes"
    assert rows[0]["max |dL|"] < 1.0
    assert Image.open(tmp_path / "photos.png").size[0] > 300


def test_working_size_sweep_reports_each_size(tiny_unet_file):
    rows = working_size_sweep(str(tiny_unet_file), sizes=(16, 48), photos=("chelsea",))
    assert [row["working size"] for row in rows] == [16, 48]
    assert all(row["PSNR (dB)"] > 0 for row in rows)


def tiny_imagenet_subset(full, folder):
    """The copy a model "trained on": ``full`` without 4 of its colour training images."""
    import zipfile

    subset = folder / "subset.zip"
    with zipfile.ZipFile(full) as source, zipfile.ZipFile(subset, "w") as part:
        for name in source.namelist():
            if "/train/" not in name or not any(name.endswith(f"_{index}.JPEG") for index in (0, 1, 2, 3)):
                part.writestr(name, source.read(name))
    return subset


@pytest.mark.slow
def test_photo_report_measures_every_model_against_gray_on_whole_photos(tiny_imagenet_zip, bsds_folder, tiny_unet_file,
                                                                        tmp_path):
    from colorize_cnn import decoding, files
    from colorize_cnn.models import build_model

    photo_model = tmp_path / "photo.keras"
    build_model("unet_photo", base_filters=4).save(photo_model)
    recorded_model = tmp_path / "recorded.keras"  # a model whose choice is recorded beside it
    shutil.copy(tiny_unet_file, recorded_model)
    scores = {key: 0.0 for key in decoding.SCORE_KEYS}
    files.write_decoding({"vividness": 0.75, "balance": 0.5, "chosen_on": "a recorded set",
                          "sets": {"a recorded set": {"gray_psnr": 20.0, "truth_colourfulness": 30.0,
                                                      "scores": {"0.75/0.5": scores}}}}, recorded_model)
    subset = tiny_imagenet_subset(tiny_imagenet_zip, tmp_path)
    config = PhotoReportConfig(models=(("photo", str(photo_model), {"trained_on": ("Tiny ImageNet",)}),
                                       ("regression", str(tiny_unet_file)),
                                       ("fixed", str(tiny_unet_file), {"vividness": 0.5, "balance": 0.25}),
                                       ("recorded", str(recorded_model))),
                               figure_photos=("chelsea",), figure_test_photos=("1001.jpg",), frontier_images=3)
    summary = photo_report(config, subset, bsds_folder, tmp_path / "out", held_out_from=tiny_imagenet_zip,
                           reuse_choices=True)
    for title in ("photo", "regression"):
        result = summary["models"][title]
        assert result["vividness"] in decoding.VIVIDNESS_CANDIDATES and result["balance"] in decoding.BALANCE_CANDIDATES
        assert len(next(iter(result["frontiers"].values()))) == 5
        sets = result["decoding_choice"]["sets"]
        assert list(sets) == ["BSDS500 val (3 photos)", "BSDS500 train (2 photos)",
                              "Tiny ImageNet training images not in the subset (4)"][:len(sets)]
        settings = len(decoding.VIVIDNESS_CANDIDATES) * len(decoding.BALANCE_CANDIDATES)
        assert all(len(s["scores"]) == settings for s in sets.values())  # every set at every setting
        chosen = f"{result['vividness']:g}/{result['balance']:g}"
        keys = list(next(iter(sets.values()))["scores"])
        accepted_everywhere = [key for key in keys if all(decoding.acceptable(s["scores"][key]) for s in sets.values())]
        if accepted_everywhere:  # the most colourful of those, on the set where it is least colourful
            assert chosen in accepted_everywhere
            assert min(s["scores"][chosen]["colourfulness_ratio"] for s in sets.values()) == max(
                min(s["scores"][key]["colourfulness_ratio"] for s in sets.values()) for key in accepted_everywhere)
        else:  # nothing acceptable everywhere: the best mean PSNR above gray over the sets
            def mean_vs_gray(key):
                return np.mean([s["scores"][key]["psnr_vs_gray"] for s in sets.values()])

            assert mean_vs_gray(chosen) == max(map(mean_vs_gray, keys))
        assert {"psnr", "ssim", "auc", "auc_rebalanced", "colourfulness_ratio", "delta_colourfulness"} <= set(
            result["bsds500_test"])
    assert (summary["models"]["fixed"]["vividness"], summary["models"]["fixed"]["balance"]) == (0.5, 0.25)
    # a set a model trained on is neither chosen on nor probed for it; the others still are
    for title, sets in (("photo", 2), ("regression", 3)):
        assert len(summary["models"][title]["balance_probe"]) == sets
    assert not any(name.startswith("Tiny") for name in summary["models"]["photo"]["decoding_choice"]["sets"])
    assert (summary["models"]["recorded"]["vividness"], summary["models"]["recorded"]["balance"]) == (0.75, 0.5)
    assert "Chosen on a recorded set." in (tmp_path / "out" / "photo-decoding.md").read_text()
    table = (tmp_path / "out" / "photo-results.md").read_text()
    assert table.count("| gray baseline |") == 2 and "BSDS500 test, 4 whole photos" in table
    per_image = (tmp_path / "out" / "photo-results-per-image.csv").read_text().splitlines()
    assert len(per_image) == 1 + 4 * 4  # header, 4 test photos x 4 models
    for name in ("photo-frontier.png", "photos.png", "photos.md", "photo-results.json"):
        assert (tmp_path / "out" / name).is_file()


def test_chroma_upsampling_report_on_whole_photos(bsds_folder, tmp_path):
    from colorize_cnn.reports.upsampling import upsampling_report

    summary = upsampling_report(bsds_folder, tmp_path, sigmas=(5.0, 10.0), limit=2)
    assert list(summary["val"]) == ["gray baseline", "joint_bilateral (sigma 5)", "joint_bilateral (sigma 10)",
                                    "bilinear", "bicubic", "guided"]
    assert list(summary["test"]) == ["gray baseline", "joint_bilateral", "bilinear", "bicubic", "guided"]
    for name, values in summary["test"].items():  # restoring the true chroma beats leaving it out
        if name != "gray baseline":
            assert values["psnr"] > summary["test"]["gray baseline"]["psnr"]
            assert values["edge_chroma_error"] < summary["test"]["gray baseline"]["edge_chroma_error"]
    for name in ("chroma-upsampling.md", "chroma-upsampling.json", "chroma-upsampling.png"):
        assert (tmp_path / name).is_file()


def test_a_ridge_read_out_recovers_a_linear_relation_and_a_penalty_shrinks_it():
    import numpy as np

    from colorize_cnn.reports.balance_probe import fit_ridge, r_squared, rms_error

    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 6)) * [1, 2, 3, 4, 5, 6] + 10
    truth = features @ rng.normal(size=(6, 2)) + [3.0, -2.0]
    fitted = fit_ridge(features, truth, alpha=1e-6)(features)
    assert rms_error(fitted, truth) < 1e-4 and r_squared(fitted[:, 0], truth[:, 0]) > 0.9999
    shrunk = fit_ridge(features, truth, alpha=1e6)(features)  # all penalty: the mean alone
    np.testing.assert_allclose(shrunk, np.broadcast_to(truth.mean(axis=0), truth.shape), atol=0.1)


@pytest.mark.slow
def test_balance_probe_fits_on_images_the_model_never_saw(tiny_imagenet_zip, bsds_folder, tmp_path):
    from colorize_cnn.reports.balance_probe import probe_report
    from colorize_cnn.models import build_model

    model = tmp_path / "photo.keras"
    build_model("unet_photo", base_filters=4).save(model)
    rows = probe_report(str(model), tiny_imagenet_subset(tiny_imagenet_zip, tmp_path), tiny_imagenet_zip, bsds_folder,
                        100, tmp_path, alphas=(1.0,), bsds_weight=2.0)
    assert [row["read-out"] for row in rows][:2] == ["gray world (mean ab 0)", "the network's own mean (the decoder now)"]
    assert list(rows[0])[1:] == ["Tiny ImageNet held out (1)", "BSDS500 val (3)", "BSDS500 train (2)"]  # 4 unseen, 3 fitted
    assert rows[-1]["BSDS500 train (2)"] is None and rows[-1]["BSDS500 val (3)"] >= 0
    assert (tmp_path / "balance-probe.md").is_file() and (tmp_path / "balance-probe.json").is_file()


def test_a_model_learnt_at_another_size_is_chosen_for_and_keeps_that_size(tiny_unet_file):
    from colorize_cnn.colorize import load_colorizer
    from colorize_cnn.decoding import choose_decoding

    photos = [np.random.default_rng(seed).uniform(0, 1, (40, 70, 3)).astype(np.float32) for seed in range(2)]
    model = load_colorizer(tiny_unet_file).model
    assert choose_decoding(model, None, photos=photos, working_size=32)["working_size"] == 32
    assert "working_size" not in choose_decoding(model, None, photos=photos)


def test_decoding_probe_scores_the_knob_as_the_package_decodes_and_confidence_means_a_peaked_distribution(
        tiny_imagenet_zip, bsds_folder, tmp_path):
    from colorize_cnn import heads
    from colorize_cnn.models import build_model
    from colorize_cnn.reports.decoding_probe import confidence, decode, decoding_probe

    rng = np.random.default_rng(0)
    bins = rng.dirichlet(np.full(484, 0.05), size=(1, 3, 4)).astype(np.float32)
    safe = rng.normal(0, 20, (1, 3, 4, 2)).astype(np.float32)
    for vividness, balance in ((0.0, 0.25), (0.5, 0.5)):
        np.testing.assert_allclose(decode(safe, bins, ("global", vividness, None), balance),
                                   heads.decode_ab({"ab": safe, "ab_bins": bins}, heads.TWO_HEADS, vividness,
                                                   balance=balance), atol=1e-4)
    peaked, uniform = np.eye(484, dtype=np.float32)[:1], np.full((1, 484), 1 / 484, np.float32)
    for family in ("entropy", "agreement"):
        assert confidence(peaked, family)[0] == pytest.approx(1.0, abs=1e-3)
    assert confidence(uniform, "entropy")[0] == pytest.approx(0.0, abs=1e-3)
    model = tmp_path / "photo.keras"
    build_model("unet_photo", base_filters=4).save(model)
    results = decoding_probe(tiny_imagenet_subset(tiny_imagenet_zip, tmp_path), tiny_imagenet_zip, bsds_folder,
                             str(model), images=4, out_dir=tmp_path / "out")
    assert list(results["sets"]) == ["BSDS500 val (3 photos)", "Tiny ImageNet training images not in the subset (4)"]
    assert all(len(rows) == 2 * 6 for rows in results["at_equal_harm"].values())  # each knob setting at 2 balances
    assert (tmp_path / "out" / "decoding-probe.md").is_file()
