"""The notebook runs from top to bottom, and the wheel alone (no extra) colorizes and serves."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "tour.ipynb"


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(cifar_batches, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # the tests' own small CIFAR-10 batches (120 images): never a download (make notebook uses the real data)
    monkeypatch.setenv("COLORIZE_CNN_DATA", str(cifar_batches))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()  # a failing cell raises
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "gray baseline: PSNR" in printed and "(512, 512) uint8 -> (512, 512, 3) uint8" in printed


@pytest.mark.slow
def test_the_wheel_alone_colorizes_with_hints_and_serves_without_tensorflow(tmp_path, tiny_unet_file):
    """The built wheel in a fresh virtual environment with no extra (its dependencies from the package
    index): the bundled models on ONNX Runtime, used from a folder that is not the repository."""
    from PIL import Image

    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(REPO)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("colorize_cnn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for model in ("unet_photo_mix_large", "unet_photo_mix", "unet_photo", "unet_hints", "unet_hints_recolour", "unet_classification",
                  "unet_regression"):
        assert {f"colorize_cnn/weights/{model}.onnx", f"colorize_cnn/weights/{model}.keras"} <= set(names)
    assert {f"colorize_cnn/app/web/{name}" for name in ("index.html", "app.js", "style.css")} <= set(names)
    assert {f"colorize_cnn/weights/{model}.json" for model in ("unet_photo_mix_large", "unet_photo_mix", "unet_photo",
                                                                   "unet_hints")} <= set(names)
    assert not any(name.startswith(("tests/", "experiments/", "README-assets/")) for name in names)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "colorize-cnn")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    frameworks = subprocess.run([python, "-c", "import importlib.util as u; print([n for n in ('tensorflow', 'keras', "
                                 "'matplotlib', 'skimage') if u.find_spec(n)])"], capture_output=True, text=True, env=env)
    assert frameworks.stdout.strip() == "[]", frameworks.stdout + frameworks.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("L", (90, 60), 128).save(elsewhere / "photo.png")
    (elsewhere / "hints.json").write_text('[{"x": 60, "y": 30, "color": "#2050ff", "radius": 6}]')
    run = subprocess.run([command, "photo.png", "-o", "photo-color.jpg", "--hint", "5,5,#ff0000", "--hints", "hints.json"],
                         capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    coloured = np.asarray(Image.open(elsewhere / "photo-color.jpg").convert("RGB"), dtype=int)
    assert coloured.shape == (60, 90, 3) and coloured[30, 60, 2] > coloured[30, 60, 0] + 20  # the blue hint holds
    own = subprocess.run([command, "photo.png", "--model", str(tiny_unet_file)], capture_output=True, text=True,
                         cwd=elsewhere, env=env, timeout=300)
    assert own.returncode == 1 and own.stderr.strip().splitlines() == [
        f"colorize-cnn: error: {tiny_unet_file} is a Keras model, which needs the train extra: "
        "pip install 'colorize-cnn[train]'"]
    # the web page and its API are served from the installed package
    import json
    import urllib.request

    server = subprocess.Popen([command, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, cwd=elsewhere, env=env, start_new_session=True)
    try:
        url = server.stdout.readline().split()[2]  # "colorize-cnn serve: http://127.0.0.1:PORT/ (...)"
        for page in ("", "app.js", "style.css"):
            with urllib.request.urlopen(url + page, timeout=30) as response:
                assert response.status == 200 and response.read()
        request = urllib.request.Request(url + "api/photos?name=photo.png&screen=5000",
                                         data=(elsewhere / "photo.png").read_bytes(), method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            opened = json.loads(response.read())
        request = urllib.request.Request(url + f"api/photos/{opened['id']}/preview", method="POST",
                                         data=json.dumps({"hints": [{"x": 5, "y": 5, "color": "#ff0000"}]}).encode())
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "image/png"
    finally:
        os.killpg(server.pid, 9)
        server.wait(timeout=30)
    version = subprocess.run([command, "--version"], capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert version.stdout.strip() == "colorize-cnn 0.2.0"
