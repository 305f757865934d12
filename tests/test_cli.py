"""The colorize-cnn command on images the tests make (every common format and mode) and on a
photograph that ships with scikit-image."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from colorize_cnn import color
from colorize_cnn.app.cli import main
from colorize_cnn.images import read_gray


def gradient(height=40, width=60):
    y, x = np.mgrid[0:height, 0:width]
    return ((x * 3 + y * 2) % 256).astype(np.uint8)


def colour_image(height=40, width=60):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(x * 4) % 256, (y * 6) % 256, ((x + y) * 2) % 256], axis=-1).astype(np.uint8)


MODES = {
    "L.png": lambda: Image.fromarray(gradient()),
    "LA.png": lambda: Image.fromarray(gradient()).convert("LA"),
    "RGB.jpg": lambda: Image.fromarray(colour_image()),
    "RGBA.png": lambda: Image.fromarray(colour_image()).convert("RGBA"),
    "P.png": lambda: Image.fromarray(colour_image()).convert("P"),
    "CMYK.jpg": lambda: Image.fromarray(colour_image()).convert("CMYK"),
    "L.bmp": lambda: Image.fromarray(gradient()),
    "L.webp": lambda: Image.fromarray(gradient()),
    "RGB.tif": lambda: Image.fromarray(colour_image()),
    "I16.png": lambda: Image.fromarray(gradient().astype(np.uint16) * 257),
    "I16.tif": lambda: Image.fromarray(gradient().astype(np.uint16) * 257),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_every_format_and_mode(name, tmp_path, tiny_unet_file):
    source = tmp_path / f"in-{name}"
    MODES[name]().save(source)
    target = tmp_path / "out.png"
    assert main([str(source), "-o", str(target), "--model", str(tiny_unet_file)]) == 0
    with Image.open(target) as result:
        assert result.size == (60, 40) and result.mode == "RGB"
    gray = read_gray(source)
    assert gray.was_colour == (name.split(".")[0] in ("RGB", "RGBA", "P", "CMYK"))
    assert gray.bit_depth == (16 if name.startswith("I16") else 8)


def test_sixteen_bit_depth_is_kept(tmp_path, tiny_unet_file):
    import png

    source = tmp_path / "deep.png"
    Image.fromarray(gradient().astype(np.uint16) * 257).save(source)
    target = tmp_path / "deep-color.png"
    assert main([str(source), "-o", str(target), "--model", str(tiny_unet_file)]) == 0
    width, height, rows, info = png.Reader(filename=str(target)).asDirect()
    assert (width, height, info["bitdepth"], info["planes"]) == (60, 40, 16, 3)
    rgb = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows]).reshape(40, 60, 3)
    lightness = color.rgb_to_lab(rgb.astype(np.float32) / 65535)[..., 0]
    np.testing.assert_allclose(lightness, color.gray_to_lightness(gradient()), atol=0.5)


def test_exif_orientation_is_applied(tmp_path, tiny_unet_file):
    source = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    Image.fromarray(gradient(40, 60)).save(source, exif=exif)
    target = tmp_path / "rotated-color.png"
    assert main([str(source), "-o", str(target), "--model", str(tiny_unet_file)]) == 0
    with Image.open(target) as result:
        assert result.size == (40, 60)


def test_photograph_from_scikit_image_keeps_size_and_lightness(tmp_path, tiny_unet_file):
    from skimage import data

    camera = data.camera()  # 512 x 512 gray photograph
    source = tmp_path / "camera.png"
    Image.fromarray(camera).save(source)
    assert main([str(source), "--model", str(tiny_unet_file)]) == 0
    result = np.asarray(Image.open(tmp_path / "camera-color.png"))
    assert result.shape == (512, 512, 3)
    lightness = color.rgb_to_lab(result.astype(np.float32) / 255)[..., 0]
    np.testing.assert_allclose(lightness, color.gray_to_lightness(camera), atol=1.0)


def test_folder_in_folder_out_with_a_bad_file(tmp_path, tiny_unet_file, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(gradient()).save(folder / "a.png")
    Image.fromarray(colour_image()).save(folder / "b.jpg")
    Image.fromarray(gradient()).save(folder / "c.bmp")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (folder / "notes.txt").write_text("not an image, not looked at")
    status = main([str(folder), "-o", str(tmp_path / "out"), "--model", str(tiny_unet_file)])
    assert status == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.jpg", "c.png"]
    errors = capsys.readouterr().err
    assert "broken.png" in errors and "1 of 4 inputs failed" in errors
    assert "colour image: converted to gray" in errors


def test_default_output_names(tmp_path, tiny_unet_file):
    Image.fromarray(gradient()).save(tmp_path / "photo.jpg")
    assert main([str(tmp_path / "photo.jpg"), "--model", str(tiny_unet_file)]) == 0
    assert (tmp_path / "photo-color.png").is_file()


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["missing.png"], "does not exist"),
        ("empty_folder", ["empty"], "holds no images"),
        ("text_file", ["fake.png", "-o", "out.png"], "not an image"),
        ("image", ["image.png", "-o", "image.png"], "over the input"),
        ("image", ["image.png", "-o", "exists.png"], "already exists"),
        ("image", ["image.png", "-o", "out.gif"], "must end in one of"),
        ("image", ["image.png", "-o", "image.png/inside.png"], "cannot write"),
        ("image", ["image.png", "--model", "nope"], "unknown model 'nope'"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(setup, args, message, tmp_path, tiny_unet_file, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if setup == "empty_folder":
        (tmp_path / "empty").mkdir()
    elif setup == "text_file":
        (tmp_path / "fake.png").write_text("hello")
    elif setup == "image":
        Image.fromarray(gradient()).save(tmp_path / "image.png")
        (tmp_path / "exists.png").write_bytes(b"keep me")
    before = sorted(p.name for p in tmp_path.iterdir())
    model_args = [] if "--model" in args else ["--model", str(tiny_unet_file)]
    assert main(args + model_args) == 1
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if setup == "image":
        assert (tmp_path / "exists.png").read_bytes() == b"keep me"


def png_header_only(path, width, height):
    """A PNG that declares width x height but holds no pixels: a stand-in for an enormous image."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(15000, 12000), (40000, 40000)])
def test_absurdly_large_file_is_refused_before_decoding(tmp_path, tiny_unet_file, capsys, width, height):
    png_header_only(tmp_path / "huge.png", width, height)
    assert main([str(tmp_path / "huge.png"), "--model", str(tiny_unet_file)]) == 1
    assert "megapixels" in capsys.readouterr().err
    assert not (tmp_path / "huge-color.png").exists()


@pytest.mark.slow
def test_module_entry_point_help_is_quick_and_clean():
    result = subprocess.run([sys.executable, "-m", "colorize_cnn", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "INPUT" in result.stdout
    check = subprocess.run(
        [sys.executable, "-c", "import sys, colorize_cnn.app.cli as c; c.build_parser(); print('tensorflow' in sys.modules)"],
        capture_output=True, text=True, timeout=60,
    )
    assert check.stdout.strip() == "False"


def test_vividness_and_balance_change_the_colours_and_are_bounded(tmp_path):
    from colorize_cnn.models import build_model

    model = build_model("unet_regression", base_filters=4)
    kernel, bias = model.get_layer("ab_unit").get_weights()
    model.get_layer("ab_unit").set_weights([kernel * 0, bias * 0 + 0.2])  # a colourful cast: ab = 110 tanh(0.2)
    model_file = tmp_path / "colourful.keras"
    model.save(model_file)
    source = tmp_path / "in.png"
    Image.fromarray(gradient()).save(source)
    outputs = []
    for vividness in ("0", "1"):
        target = tmp_path / f"out-{vividness}.png"
        assert main([str(source), "-o", str(target), "--model", str(model_file), "--vividness", vividness]) == 0
        outputs.append(np.asarray(Image.open(target), dtype=np.int16))
    assert np.abs(outputs[0] - outputs[1]).max() > 0
    chroma = [np.abs(np.diff(output, axis=-1)).mean() for output in outputs]
    assert chroma[1] > 1.5 * chroma[0] > 0  # twice the chroma at vividness 1, up to the gamut
    balanced = tmp_path / "out-balanced.png"  # the whole cast taken away: close to gray
    assert main([str(source), "-o", str(balanced), "--model", str(model_file), "--balance", "1"]) == 0
    assert np.abs(np.diff(np.asarray(Image.open(balanced), dtype=np.int16), axis=-1)).mean() < 0.2 * chroma[0]
    for bad in (["--vividness", "1.5"], ["--balance", "2"], ["--working-size", "100000"]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(source), "-o", str(tmp_path / "x.png"), *bad])
        assert exit_info.value.code == 2
    assert not (tmp_path / "x.png").exists()


def test_output_encoding_options(tmp_path, tiny_unet_file):
    from colorize_cnn import images
    from colorize_cnn.app import cli

    defaults = cli.build_parser().parse_args(["x.png"])
    assert (defaults.png_compression, defaults.jpeg_quality) == (images.PNG_COMPRESSION, images.JPEG_QUALITY)
    rng = np.random.default_rng(0)
    texture = np.clip(np.tile(gradient(120, 160), 1) + rng.integers(0, 8, (120, 160)), 0, 255).astype(np.uint8)
    Image.fromarray(texture).save(tmp_path / "noise.png")  # detail for JPEG to lose, structure for zlib
    sizes = {}
    for option, value, name in (("--jpeg-quality", "20", "low.jpg"), ("--jpeg-quality", "100", "high.jpg"),
                                ("--png-compression", "0", "none.png"), ("--png-compression", "9", "best.png")):
        assert main([str(tmp_path / "noise.png"), "-o", str(tmp_path / name), "--model", str(tiny_unet_file),
                     option, value]) == 0
        sizes[name] = (tmp_path / name).stat().st_size
    assert sizes["low.jpg"] < sizes["high.jpg"] and sizes["best.png"] < sizes["none.png"]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "none.png")), np.asarray(Image.open(tmp_path / "best.png")))
    for bad in (["--png-compression", "10"], ["--jpeg-quality", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(tmp_path / "noise.png"), "-o", str(tmp_path / "x.png"), *bad])
        assert exit_info.value.code == 2


def test_folder_results_come_in_order_and_match_one_by_one(tmp_path, tiny_unet_file):
    from colorize_cnn.colorize import colorize_file, colorize_files, load_colorizer
    from colorize_cnn.images import GrayImage, ImageError

    colorizer = load_colorizer(str(tiny_unet_file))
    jobs = []
    for index in range(5):
        source = tmp_path / f"in-{index}.png"
        if index == 2:
            source.write_bytes(b"not an image")
        else:
            Image.fromarray(np.roll(colour_image(), index * 7, axis=1)).save(source)
        jobs.append((source, tmp_path / f"out-{index}.png"))
    jobs.append((jobs[0][0], jobs[1][0]))  # an output over another input: refused
    results = list(colorize_files(jobs, colorizer))
    assert [(source, target) for source, target, _, _ in results] == jobs
    assert [type(result) for _, _, result, _ in results] == [GrayImage, GrayImage, ImageError, GrayImage, GrayImage,
                                                          ImageError]
    colorize_file(jobs[3][0], tmp_path / "alone.png", colorizer)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "alone.png")), np.asarray(Image.open(jobs[3][1])))


@pytest.mark.slow
def test_command_line_output_is_only_the_package_s_own(tmp_path, tiny_unet_file):
    Image.fromarray(gradient()).save(tmp_path / "in.png")
    env = {key: value for key, value in __import__("os").environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "colorize_cnn", str(tmp_path / "in.png"), "--model", str(tiny_unet_file)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [f"{tmp_path / 'in.png'} -> {tmp_path / 'in-color.png'}"]


def test_a_killed_write_leaves_nothing_a_later_run_reads_and_is_cleaned_up(tmp_path, tiny_unet_file):
    import os
    import time

    from colorize_cnn.files import STALE_SECONDS, stale_temporaries

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(gradient()).save(folder / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    leftover = out / ".a.k3j5x9q1.png"  # what a kill during the write of out/a.png leaves
    leftover.write_bytes(b"half a png")
    Image.fromarray(gradient()).save(folder / ".b.abcdefgh.png")  # hidden, in the input folder: not an input
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file)]) == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.png"]
    assert stale_temporaries([out / "a.png"]) == [leftover]  # recent: may be another process's write in progress
    old = time.time() - STALE_SECONDS - 10
    os.utime(leftover, (old, old))
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file), "--overwrite"]) == 0
    assert not leftover.exists() and Image.open(out / "a.png").size == (60, 40)



def test_folder_names_and_colliding_outputs(tmp_path, tiny_unet_file, capsys, monkeypatch):
    from colorize_cnn.app.cli import plan_jobs

    monkeypatch.chdir(tmp_path)
    Image.fromarray(gradient()).save(tmp_path / "x.bmp")
    Image.fromarray(gradient()).save(tmp_path / "x.webp")
    from pathlib import Path

    jobs, errors = plan_jobs([Path(".")], None)
    assert not jobs and "would all be written to" in errors[0]  # x.bmp and x.webp -> x.png
    assert main([".", "--model", str(tiny_unet_file)]) == 1
    assert not (tmp_path.parent / f"{tmp_path.name}-color").exists()  # nothing written
    (tmp_path / "x.webp").unlink()
    assert main([".", "--model", str(tiny_unet_file)]) == 0  # "." is named after the folder it is
    assert (tmp_path.parent / f"{tmp_path.name}-color" / "x.png").is_file()
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    Image.fromarray(gradient()).save(tmp_path / "a" / "x.png")
    Image.fromarray(gradient()).save(tmp_path / "b" / "x.png")
    assert main(["a/x.png", "b/x.png", "-o", "out", "--model", str(tiny_unet_file), "--overwrite"]) == 1
    assert "would all be written to" in capsys.readouterr().err and not (tmp_path / "out").exists()
    (tmp_path / "existing").mkdir()
    assert main(["a/x.png", "-o", "existing", "--model", str(tiny_unet_file)]) == 0  # an existing folder: into it
    assert (tmp_path / "existing" / "x-color.png").is_file()


def test_never_over_a_file_created_meanwhile(tmp_path):
    from colorize_cnn.images import ImageError, write_rgb

    target = tmp_path / "out.png"
    rgb = np.zeros((4, 4, 3), np.uint8)
    import colorize_cnn.files as files

    real = files.tempfile.mkstemp

    def another_process_writes_first(*args, **kwargs):
        target.write_bytes(b"the other process's image")  # between the check and the rename
        return real(*args, **kwargs)

    files.tempfile.mkstemp = another_process_writes_first
    try:
        with pytest.raises(ImageError, match="already exists"):
            write_rgb(rgb, target)
    finally:
        files.tempfile.mkstemp = real
    assert target.read_bytes() == b"the other process's image" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("mode, values, expected", [
    ("F", np.linspace(0, 1, 60, dtype=np.float32), "ok"),
    ("F", np.linspace(-5, 300, 60, dtype=np.float32), "32-bit float image with values from -5 to 300"),
    ("I", np.linspace(0, 65535, 60).astype(np.int32), "ok"),
    ("I", np.linspace(0, 2**31 - 1, 60).astype(np.int32), "32-bit integer image"),
])
def test_32_bit_tiffs_are_read_right_or_refused(mode, values, expected, tmp_path, tiny_unet_file, capsys):
    source = tmp_path / "wide.tif"
    Image.fromarray(np.tile(values, (40, 1)), mode=mode).save(source)
    status = main([str(source), "-o", str(tmp_path / "out.png"), "--model", str(tiny_unet_file)])
    if expected == "ok":
        assert status == 0
        gray = read_gray(source).pixels
        assert gray.dtype == np.uint16 and gray[0, 0] == 0 and gray[0, -1] == 65535
    else:
        assert status == 1 and expected in capsys.readouterr().err
        assert not (tmp_path / "out.png").exists()


def test_transparency_is_kept_where_the_format_can_and_pages_are_reported(tmp_path, tiny_unet_file, capsys):
    rgba = np.dstack([colour_image(), np.where(np.arange(60) < 30, 0, 255).astype(np.uint8)[None].repeat(40, 0)])
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "clear.png")
    assert main([str(tmp_path / "clear.png"), "-o", str(tmp_path / "out.png"), "--model", str(tiny_unet_file)]) == 0
    out = Image.open(tmp_path / "out.png")
    assert out.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(out)[..., 3], rgba[..., 3])
    assert main([str(tmp_path / "clear.png"), "-o", str(tmp_path / "out.jpg"), "--model", str(tiny_unet_file)]) == 0
    assert "transparency not kept" in capsys.readouterr().err
    pages = [Image.fromarray(gradient()), Image.fromarray(255 - gradient())]
    pages[0].save(tmp_path / "pages.tif", save_all=True, append_images=pages[1:])
    assert main([str(tmp_path / "pages.tif"), "-o", str(tmp_path / "p.png"), "--model", str(tiny_unet_file)]) == 0
    assert "first of 2 pages" in capsys.readouterr().err


def test_clear_messages_for_unreadable_and_oversized_files(tmp_path, tiny_unet_file, capsys, monkeypatch):
    import os

    import colorize_cnn.images as images

    source = tmp_path / "locked.png"
    Image.fromarray(gradient()).save(source)
    if os.geteuid() != 0:  # root reads anything
        source.chmod(0)
        assert main([str(source), "--model", str(tiny_unet_file)]) == 1
        assert "permission denied" in capsys.readouterr().err
        source.chmod(0o644)
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    assert main([str(source), "--model", str(tiny_unet_file)]) == 1
    err = capsys.readouterr().err
    assert "megapixels" in err and "corrupt" not in err and "site-packages" not in err


def test_skip_existing_resumes_a_folder_run_and_redoes_damaged_outputs(tmp_path, tiny_unet_file, capsys):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(gradient()).save(folder / f"{name}.png")
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file)]) == 0
    (out / "c.png").write_bytes((out / "c.png").read_bytes()[:60])  # cut short by something else
    before = (out / "a.png").stat().st_mtime_ns
    capsys.readouterr()
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file)]) == 1  # exists: refused
    capsys.readouterr()
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file), "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert err.count("exists: skipped") == 2 and "c.png ->" in err
    assert (out / "a.png").stat().st_mtime_ns == before and Image.open(out / "c.png").load() is not None
    with pytest.raises(SystemExit):
        main([str(folder), "-o", str(out), "--skip-existing", "--overwrite"])
    (out / "b.png").unlink()
    (out / "b.png").mkdir()  # an output that cannot be read (as a file without read permission cannot)
    (out / "b.png" / "keep.txt").write_text("somebody's")
    (out / "c.png").unlink()
    capsys.readouterr()
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file), "--skip-existing"]) == 1
    err = capsys.readouterr().err
    assert "b.png exists but could not be checked (Is a directory): left as it is" in err and "Traceback" not in err
    assert (out / "b.png" / "keep.txt").read_text() == "somebody's" and Image.open(out / "c.png").load() is not None


def test_ctrl_c_stops_cleanly_with_exit_130(tmp_path, tiny_unet_file, capsys, monkeypatch):
    import colorize_cnn.colorize as colorize_module

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(gradient()).save(folder / f"{name}.png")
    real = colorize_module.colorize
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(colorize_module, "colorize", interrupted)
    assert main([str(folder), "-o", str(tmp_path / "out"), "--model", str(tiny_unet_file)]) == 130
    err = capsys.readouterr().err
    assert "interrupted; 1 of 3 images were written" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]


def test_unusable_output_names_are_reported_per_file(tmp_path, tiny_unet_file, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(gradient()).save(folder / ("x" * 250 + ".png"))  # the input fits; "...-color.png" is too long
    Image.fromarray(gradient()).save(folder / "short.png")
    status = main([str(folder / ("x" * 250 + ".png")), str(folder / "short.png"), "-o", str(tmp_path / "out"),
                   "--model", str(tiny_unet_file)])
    err = capsys.readouterr().err
    assert status == 1 and "File name too long" in err and "Traceback" not in err
    assert (tmp_path / "out" / "short-color.png").is_file()


def test_stale_temporaries_match_only_leftovers_of_the_named_outputs(tmp_path):
    from colorize_cnn.files import atomic_output, stale_temporaries

    targets = [tmp_path / "photo.v2.png", tmp_path / "model.weights.h5", tmp_path / "x.jpg"]
    leftovers = []
    for target in targets:  # a temporary file exactly as atomic_output names it, left behind
        with pytest.raises(KeyboardInterrupt), atomic_output(target) as temporary:
            leftovers.append(tmp_path / (temporary.name + ".kept"))
            temporary.write_bytes(b"half")
            os.link(temporary, leftovers[-1])
            raise KeyboardInterrupt
        leftovers[-1].rename(temporary)
        leftovers[-1] = temporary
    (tmp_path / ".other.abcdefgh.png").write_bytes(b"someone else's")  # no target of that name
    (tmp_path / ".x.jpg").write_bytes(b"a hidden file, not a leftover")
    assert sorted(stale_temporaries(targets)) == sorted(leftovers)
    assert stale_temporaries(targets, older_than=3600) == []  # all just written


def test_names_the_file_system_cannot_take_are_refused_in_one_line(tmp_path, tiny_unet_file, capsys):
    source = tmp_path / "short.png"
    Image.fromarray(gradient()).save(source)
    long_name = tmp_path / ("y" * 300 + ".png")
    assert main([str(source), "-o", str(long_name), "--model", str(tiny_unet_file)]) == 1  # one output: refused
    err = capsys.readouterr().err
    assert "File name too long" in err and "Traceback" not in err
    assert main([str(long_name), str(source), "-o", str(tmp_path / "out"), "--model", str(tiny_unet_file)]) == 1
    err = capsys.readouterr().err  # an input among several: that input's error, the others done
    assert "cannot read" in err and "File name too long" in err
    assert (tmp_path / "out" / "short-color.png").is_file()


def test_skip_existing_cleans_old_leftovers_and_says_what_it_replaces(tmp_path, tiny_unet_file, capsys):
    import time

    from colorize_cnn.files import STALE_SECONDS

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in ("a", "b"):
        Image.fromarray(gradient()).save(folder / f"{name}.png")
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file)]) == 0
    leftover = out / ".a.k3j5x9q1.png"  # an old killed write of out/a.png
    leftover.write_bytes(b"half a png")
    old = time.time() - STALE_SECONDS - 10
    os.utime(leftover, (old, old))
    capsys.readouterr()
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file), "--skip-existing"]) == 0
    assert not leftover.exists()  # every output existed: the run still cleans up
    (out / "b.png").write_text("somebody's notes, not an image")
    assert main([str(folder), "-o", str(out), "--model", str(tiny_unet_file), "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "b.png exists but is not a whole image" in err and "written again" in err
    assert Image.open(out / "b.png").size == (60, 40)


def test_sixteen_bit_gray_with_transparency_stays_sixteen_bit(tmp_path, tiny_unet_file, capsys):
    import png

    gray = gradient().astype(np.uint16) * 257 + 3  # values no 8-bit file can hold
    alpha = np.where(np.arange(60) < 20, 0, 65535).astype(np.uint16)[None].repeat(40, 0)
    source = tmp_path / "deep-alpha.png"
    with open(source, "wb") as stream:
        png.Writer(60, 40, greyscale=True, alpha=True, bitdepth=16).write(
            stream, np.dstack([gray, alpha]).reshape(40, -1))
    image = read_gray(source)
    assert image.bit_depth == 16 and image.pixels[0, -1] == gray[0, -1] and image.alpha.dtype == np.uint16
    target = tmp_path / "out.png"
    assert main([str(source), "-o", str(target), "--model", str(tiny_unet_file)]) == 0
    assert "transparency kept" in capsys.readouterr().err
    _, _, rows, info = png.Reader(filename=str(target)).asDirect()
    result = np.vstack([np.asarray(row, np.uint16) for row in rows]).reshape(40, 60, 4)
    assert info["bitdepth"] == 16 and info["alpha"]
    np.testing.assert_array_equal(result[..., 3], alpha)


def test_a_folder_as_model_and_a_full_disk_get_plain_messages(tmp_path, tiny_unet_file, capsys, monkeypatch):
    import shutil
    import types

    import tifffile

    source = tmp_path / "deep.png"
    Image.fromarray(gradient().astype(np.uint16) * 257).save(source)
    assert main([str(source), "--model", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "is a folder; --model takes a .keras file" in err and "does not exist" not in err

    def full_disk(path, *args, **kwargs):
        with open(path, "wb") as stream:
            stream.write(b"II*\x00")
        raise OSError("1234 requested and 4 written")  # what NumPy's tofile says when the disk fills

    monkeypatch.setattr(tifffile, "imwrite", full_disk)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: types.SimpleNamespace(total=1, used=1, free=0))
    assert main([str(source), "-o", str(tmp_path / "out.tif"), "--model", str(tiny_unet_file)]) == 1
    err = capsys.readouterr().err
    assert "out.tif: no space left on the device" in err and "requested" not in err
    assert not (tmp_path / "out.tif").exists()


def test_sixteen_bit_gray_tiff_with_transparency_is_read_and_kept(tmp_path, tiny_unet_file):
    import tifffile

    gray = gradient().astype(np.uint16) * 257 + 3
    alpha = np.where(np.arange(60) < 20, 0, 65535).astype(np.uint16)[None].repeat(40, 0)
    source = tmp_path / "deep-alpha.tif"
    tifffile.imwrite(source, np.dstack([gray, alpha]), photometric="minisblack", extrasamples=("unassalpha",))
    image = read_gray(source)  # Pillow cannot open this file at all
    assert image.bit_depth == 16 and image.pixels[0, -1] == gray[0, -1]
    np.testing.assert_array_equal(image.alpha, alpha)
    assert main([str(source), "-o", str(tmp_path / "out.tif"), "--model", str(tiny_unet_file)]) == 0
    result = tifffile.imread(tmp_path / "out.tif")
    assert result.dtype == np.uint16 and result.shape == (40, 60, 4)
    np.testing.assert_array_equal(result[..., 3], alpha)


def test_hints_from_a_file_and_the_short_form_give_the_apis_pixels(tmp_path, capsys):
    from colorize_cnn.colorize import colorize
    from colorize_cnn.hints import write_hints_file

    Image.fromarray(colour_image(60, 90)).save(tmp_path / "photo.png")
    hints = [(10, 20, "#3366cc"), (70, 50, "#ffcc00", 6)]
    write_hints_file(hints, tmp_path / "hints.json")
    expected = colorize(read_gray(tmp_path / "photo.png").pixels, hints=hints)
    assert main([str(tmp_path / "photo.png"), "--hints", str(tmp_path / "hints.json"), "-o", str(tmp_path / "a.png")]) == 0
    assert main([str(tmp_path / "photo.png"), "--hint", "10,20,#3366cc", "--hint", "70,50,#ffcc00,6",
                 "-o", str(tmp_path / "b.png")]) == 0
    for name in ("a.png", "b.png"):
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / name)), expected)


def test_bad_hints_get_one_message_exit_1_and_nothing_written(tmp_path, tiny_unet_file, capsys):
    Image.fromarray(colour_image(60, 90)).save(tmp_path / "photo.png")
    Image.fromarray(gradient()).save(tmp_path / "other.png")
    (tmp_path / "bad.json").write_text('[{"x": 1, "y": 2}]')
    (tmp_path / "broken.json").write_text('[{"x": 1,')
    photo, out = str(tmp_path / "photo.png"), str(tmp_path / "out.png")
    cases = {
        "lacks color": [photo, "--hints", str(tmp_path / "bad.json"), "-o", out],
        "not valid JSON": [photo, "--hints", str(tmp_path / "broken.json"), "-o", out],
        "does not exist": [photo, "--hints", str(tmp_path / "none.json"), "-o", out],
        "outside the image (90 x 60": [photo, "--hint", "90,10,#ffffff", "-o", out],
        "X,Y,#RRGGBB": [photo, "--hint", "90;10;#ffffff", "-o", out],
        "one photo": [photo, str(tmp_path / "other.png"), "--hint", "1,1,#ffffff", "-o", str(tmp_path / "o")],
        "not a folder": [str(tmp_path), "--hint", "1,1,#ffffff", "-o", str(tmp_path / "o")],
        "takes no hints": [photo, "--model", str(tiny_unet_file), "--hint", "1,1,#ffffff", "-o", out],
    }
    for message, argv in cases.items():
        assert main(argv) == 1, message
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) <= 2 and "Traceback" not in err, err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "broken.json", "other.png", "photo.png"]
