"""The notebook runs from top to bottom, and a plain (non-editable) install carries the bundled models."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

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
def test_wheel_holds_the_bundled_models_and_works_from_any_folder(tmp_path, tiny_unet_file):
    from PIL import Image

    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(REPO)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("colorize_cnn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for model in ("unet_photo_mix", "unet_photo", "unet_hints", "unet_classification", "unet_regression"):
        assert f"colorize_cnn/weights/{model}.keras" in names
    assert {f"colorize_cnn/web/{name}" for name in ("index.html", "app.js", "style.css")} <= set(names)
    assert {"colorize_cnn/weights/unet_photo_mix.json", "colorize_cnn/weights/unet_photo.json"} <= set(names)
    assert not any(name.startswith(("tests/", "experiments/", "README-assets/")) for name in names)
    # install it apart from the source tree (dependencies come from this environment) and use it
    # from a folder that is not the repository
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("L", (90, 60), 128).save(elsewhere / "photo.png")
    env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "3"}
    where = subprocess.run([sys.executable, "-c", "import colorize_cnn, colorize_cnn.models; print(colorize_cnn.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    run = subprocess.run([sys.executable, "-m", "colorize_cnn", "photo.png", "-o", "photo-color.jpg", "--hint", "5,5,#ff0000"],
                         capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert Image.open(elsewhere / "photo-color.jpg").size == (90, 60)
    # the web page is served from the installed package
    import urllib.request

    server = subprocess.Popen([sys.executable, "-m", "colorize_cnn", "serve", "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, cwd=elsewhere, env=env, start_new_session=True)
    try:
        url = server.stdout.readline().split()[2]  # "colorize-cnn serve: http://127.0.0.1:PORT/ (...)"
        for page in ("", "app.js", "style.css"):
            with urllib.request.urlopen(url + page, timeout=30) as response:
                assert response.status == 200 and response.read()
    finally:
        os.killpg(server.pid, 9)
        server.wait(timeout=30)
    version = subprocess.run([sys.executable, "-m", "colorize_cnn", "--version"], capture_output=True, text=True,
                             cwd=elsewhere, env=env, timeout=300)
    assert version.stdout.strip() == "colorize-cnn 0.2.0"
