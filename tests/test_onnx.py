"""The bundled models on ONNX Runtime: the committed exports match their Keras models, colorizing
through them imports no framework, and the export and loading refuse what they cannot use."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from colorize_cnn.colorize import ColorizeSession, ModelLoadError, colorize, load_colorizer
from colorize_cnn.colorizer import WEIGHTS_DIR

REPO = Path(__file__).resolve().parent.parent
BUNDLED = sorted(path.stem for path in WEIGHTS_DIR.glob("*.keras"))


def scene(height=96, width=144, seed=0):
    """A gray photo-like scene: smooth shapes, an edge, a little noise (uint8)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    gray = 0.45 + 0.25 * np.sin(7 * x + 1) * np.cos(5 * y) + 0.2 * (x > 0.5) + 0.03 * rng.standard_normal(x.shape)
    return np.clip(gray * 255, 0, 255).astype(np.uint8)


def test_every_bundled_model_has_an_onnx_export():
    assert set(BUNDLED) == {"unet_photo_mix_large", "unet_photo_mix", "unet_photo", "unet_hints", "unet_hints_recolour", "unet_classification",
                            "unet_regression"}
    assert sorted(path.stem for path in WEIGHTS_DIR.glob("*.onnx")) == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_the_committed_onnx_gives_the_keras_models_outputs(name):
    from colorize_cnn.export import TOLERANCE, compare, probe_batches, sha256

    onnx, original = load_colorizer(name), load_colorizer(name, runtime="keras")
    assert (onnx.runtime, original.runtime) == ("onnx", "keras")
    assert onnx.network.source_sha256 == sha256(WEIGHTS_DIR / f"{name}.keras"), "re-export: make onnx"
    assert (onnx.kind, onnx.stride, onnx.padding_multiple, onnx.takes_hints, onnx.fixed_size) == \
        (original.kind, original.stride, original.padding_multiple, original.takes_hints, original.fixed_size)
    assert (onnx.vividness, onnx.balance) == (original.vividness, original.balance)  # one decoding JSON for both
    assert compare(onnx, original, probe_batches(original, seed=1)) <= TOLERANCE


@pytest.mark.parametrize("name", ["unet_photo_mix_large", "unet_hints"])
def test_colorizing_on_either_runtime_gives_the_same_pixels_within_two_levels(name):
    gray = scene(250, 330)
    hints = [(40, 50, "#d02020"), (300, 200, (30, 90, 220))] if name == "unet_hints" else None
    onnx = colorize(gray, load_colorizer(name), hints=hints)
    keras = colorize(gray, load_colorizer(name, runtime="keras"), hints=hints)
    assert onnx.shape == keras.shape == (250, 330, 3)
    assert np.abs(onnx.astype(int) - keras.astype(int)).max() <= 2


def test_the_exportable_upsampling_is_keras_bilinear_upsampling():
    import keras

    from colorize_cnn.export import BilinearUpSampling2x

    tensor = np.random.default_rng(0).standard_normal((2, 5, 7, 3)).astype(np.float32)
    expected = keras.layers.UpSampling2D(2, interpolation="bilinear")(tensor)
    np.testing.assert_allclose(BilinearUpSampling2x()(tensor), expected, atol=1e-5)


def test_an_exported_model_runs_on_onnx_runtime_with_its_decoding(tiny_unet_file, tmp_path):
    import shutil

    from colorize_cnn.export import TOLERANCE, export_onnx

    keras_path = tmp_path / "mine.keras"
    shutil.copy(tiny_unet_file, keras_path)
    (tmp_path / "mine.json").write_text(json.dumps({"vividness": 0.3, "balance": 0.2}))
    assert export_onnx(keras_path) <= TOLERANCE
    colorizer = load_colorizer(str(tmp_path / "mine.onnx"))
    assert (colorizer.runtime, colorizer.kind, colorizer.vividness, colorizer.balance) == ("onnx", "ab", 0.3, 0.2)
    gray = scene(70, 50)
    np.testing.assert_allclose(colorize(gray, colorizer).astype(int), colorize(gray, load_colorizer(keras_path)).astype(int),
                               atol=2)
    with pytest.raises(ModelLoadError, match="runs on ONNX Runtime.*runtime='keras'"):
        colorizer.model


def test_bad_onnx_files_and_runtimes_are_refused(tmp_path, tiny_unet_file):
    from colorize_cnn.errors import BadArgumentError

    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="garbage.onnx is not an ONNX colorizer"):
        load_colorizer(str(garbage))
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_colorizer(str(tmp_path / "missing.onnx"))
    with pytest.raises(ModelLoadError, match="is a Keras file; export it"):
        load_colorizer(str(tiny_unet_file), runtime="onnx")
    with pytest.raises(ModelLoadError, match="is an ONNX file"):
        load_colorizer(str(WEIGHTS_DIR / "unet_photo.onnx"), runtime="keras")
    with pytest.raises(BadArgumentError, match="runtime must be one of onnx, keras"):
        load_colorizer(None, runtime="torch")


def test_a_failed_export_leaves_nothing(tmp_path):
    from colorize_cnn.export import export_onnx

    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(ModelLoadError):
        export_onnx(damaged)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["damaged.keras"]


FRAMEWORKS = ("tensorflow", "keras", "matplotlib", "jax", "skimage", "scipy")
INFERENCE = r"""
import http.client, io, json, sys, threading
from pathlib import Path
import numpy as np
from PIL import Image
from colorize_cnn.app import cli
from colorize_cnn.colorize import ColorizeSession, colorize, load_colorizer, suggest_colours
from colorize_cnn.app.serve import Server

folder = Path(sys.argv[1])
gray = (np.add.outer(np.arange(90), np.arange(120)) % 256).astype(np.uint8)
colorize(gray)
session = ColorizeSession(gray)
session.preview([(10, 10, "#ff0000")])
session.render([(10, 10, "#ff0000")])
suggest_colours(gray, 5, 5, k=3)
Image.fromarray(gray).save(folder / "photo.png")
assert cli.main([str(folder / "photo.png"), "--hint", "5,5,#00ff00", "-o", str(folder / "out.png")]) == 0
server = Server(("127.0.0.1", 0), {name: load_colorizer(name) for name in ("unet_hints", "unet_photo_mix_large")})
threading.Thread(target=server.serve_forever, daemon=True).start()
connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
connection.request("POST", "/api/photos?name=photo.png&screen=5000", (folder / "photo.png").read_bytes())
opened = json.loads(connection.getresponse().read())
connection.request("POST", f"/api/photos/{opened['id']}/preview", json.dumps({"hints": [{"x": 3, "y": 4, "color": "#00f"}]}))
assert connection.getresponse().status == 200
server.shutdown()
print(json.dumps(sorted(name for name in FRAMEWORKS if name in sys.modules)))
""".replace("FRAMEWORKS", repr(FRAMEWORKS))


def test_the_inference_path_imports_no_framework(tmp_path):
    """colorize, a session with hints, suggestions, the command line and the page's API, all in one fresh process."""
    run = subprocess.run([sys.executable, "-c", INFERENCE, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.splitlines()[-1]) == []
    assert (tmp_path / "out.png").is_file()


WITHOUT_KERAS = "import sys; sys.modules['keras'] = sys.modules['tensorflow'] = None; " \
                "sys.argv[0] = 'colorize-cnn'; from colorize_cnn.app.cli import run; run()"


def test_a_keras_model_without_the_train_extra_says_what_to_install(tmp_path, tiny_unet_file):
    from PIL import Image

    Image.fromarray(scene(40, 40)).save(tmp_path / "photo.png")
    bundled = subprocess.run([sys.executable, "-c", WITHOUT_KERAS, str(tmp_path / "photo.png")],
                             capture_output=True, text=True, timeout=300)
    assert bundled.returncode == 0, bundled.stderr[-3000:]
    own = subprocess.run([sys.executable, "-c", WITHOUT_KERAS, str(tmp_path / "photo.png"), "--model", str(tiny_unet_file),
                          "--overwrite"], capture_output=True, text=True, timeout=300)
    assert own.returncode == 1
    assert own.stderr.strip() == f"colorize-cnn: error: {tiny_unet_file} is a Keras model, which needs the train " \
                                 "extra: pip install 'colorize-cnn[train]'"


def test_a_session_on_onnx_takes_hints_where_the_keras_model_does():
    gray = scene()
    session = ColorizeSession(gray)  # the bundled hint model, on ONNX Runtime
    assert session.colorizer.runtime == "onnx" and session.colorizer.takes_hints
    plain, hinted = session.render(), session.render([(20, 30, "#2040ff", 6)])
    assert plain.shape == hinted.shape == (96, 144, 3) and not np.array_equal(plain, hinted)
