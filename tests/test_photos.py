from PIL import Image

from colorize_cnn.photos import photo_demo, working_size_sweep


def test_photo_demo_keeps_size_and_lightness(tmp_path, tiny_unet_file):
    rows = photo_demo({"tiny": str(tiny_unet_file)}, tmp_path / "photos.png", photos=("chelsea",))
    assert rows[0]["size"] == "451x300" and rows[0]["same size"] == "yes"
    assert rows[0]["max |dL|"] < 1.0
    assert Image.open(tmp_path / "photos.png").size[0] > 300


def test_working_size_sweep_reports_each_size(tiny_unet_file):
    rows = working_size_sweep(str(tiny_unet_file), sizes=(16, 48), photos=("chelsea",))
    assert [row["working size"] for row in rows] == [16, 48]
    assert all(row["PSNR (dB)"] > 0 for row in rows)
