from PIL import Image

import pytest

from colorize_cnn.photos import PhotoReportConfig, photo_demo, photo_report, working_size_sweep


def test_photo_demo_keeps_size_and_lightness(tmp_path, tiny_unet_file):
    rows = photo_demo({"tiny": str(tiny_unet_file)}, tmp_path / "photos.png", photos=("chelsea",))
    assert rows[0]["size"] == "451x300" and rows[0]["same size"] == "yes"
    assert rows[0]["max |dL|"] < 1.0
    assert Image.open(tmp_path / "photos.png").size[0] > 300


def test_working_size_sweep_reports_each_size(tiny_unet_file):
    rows = working_size_sweep(str(tiny_unet_file), sizes=(16, 48), photos=("chelsea",))
    assert [row["working size"] for row in rows] == [16, 48]
    assert all(row["PSNR (dB)"] > 0 for row in rows)


@pytest.mark.slow
def test_photo_report_measures_every_model_against_gray_on_whole_photos(tiny_imagenet_zip, bsds_folder, tiny_unet_file,
                                                                        tmp_path):
    from colorize_cnn.models import build_model

    photo_model = tmp_path / "photo.keras"
    build_model("unet_photo", base_filters=4).save(photo_model)
    config = PhotoReportConfig(models=(("photo", str(photo_model)), ("regression", str(tiny_unet_file))),
                               figure_photos=("chelsea",), figure_test_photos=("1001.jpg",), frontier_images=3)
    summary = photo_report(config, tiny_imagenet_zip, bsds_folder, tmp_path / "out")
    for title in ("photo", "regression"):
        result = summary["models"][title]
        assert result["vividness"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert len(next(iter(result["frontiers"].values()))) == 5
        assert {"psnr", "ssim", "auc", "auc_rebalanced", "colourfulness_ratio", "delta_colourfulness"} <= set(
            result["bsds500_test"])
    table = (tmp_path / "out" / "photo-results.md").read_text()
    assert table.count("| gray baseline |") == 2 and "BSDS500 test, 4 whole photos" in table
    per_image = (tmp_path / "out" / "photo-results-per-image.csv").read_text().splitlines()
    assert len(per_image) == 1 + 2 * 4  # header, 4 test photos x 2 models
    for name in ("photo-frontier.png", "photos.png", "photos.md", "photo-results.json"):
        assert (tmp_path / "out" / name).is_file()


def test_chroma_upsampling_report_on_whole_photos(bsds_folder, tmp_path):
    from colorize_cnn.photos import upsampling_report

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
