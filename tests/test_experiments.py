"""Each experiment script end to end in its quick mode, on data the tests make."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
# the CIFAR-10 experiments: scripts with an ExperimentConfig on the default data set
SCRIPTS = sorted(p for p in (REPO / "experiments").glob("*.py")
                 if "ExperimentConfig(" in p.read_text() and "dataset=" not in p.read_text())


def run_script(script, *args, env_extra=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})}
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env, cwd=REPO)


def assets_snapshot():
    folder = REPO / "README-assets"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.exists() else {}


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_quick_run_end_to_end(script, cifar_batches, runs_folder):
    before = assets_snapshot()
    out = runs_folder / script.stem
    result = run_script(script, "--data", cifar_batches, "--limit", 40, "--epochs", 1, "--batch-size", 8, "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "metrics.json").read_text())
    assert report["train_images"] == 40 and report["test_images"] == 20 and report["epochs"] == 1
    assert report["dataset"] == "CIFAR-10 (official python batches)"
    for side in ("model", "gray_baseline"):
        assert set(report[side]["mean"]) >= {"psnr", "ssim", "auc", "auc_rebalanced", "acc2", "colourfulness"}
        assert len(report[side]["per_class"]) == 10
    names = {p.name for p in out.iterdir()}
    assert {"model.keras", "history.csv"} <= names
    assert sum(name.endswith(("1.png", "2.png", "3.png")) for name in names) == 3
    assert any(name.endswith("-learning-curve.png") for name in names)
    assert assets_snapshot() == before, "a --limit run must never touch README-assets"


@pytest.mark.slow
def test_help_is_fast_and_imports_no_tensorflow():
    script = REPO / "experiments" / "conv_flatten_dense.py"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 0 and "--batch-size" in result.stdout
    assert "tensorflow" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "positive integer"),
        (["--batch-size", "-3"], "positive integer"),
        (["--data", "/no/such/folder"], "does not exist"),
        (["--out", "{file}"], "is a file"),
        (["--out", "{file}/run"], "is a file, or lies under one"),
        (["--data", "{incomplete}"], "lacks data_batch_3"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_message(args, message, tmp_path, cifar_batches):
    import shutil

    (tmp_path / "file").write_text("a file, not a folder")
    incomplete = tmp_path / "cifar-10-batches-py"
    shutil.copytree(cifar_batches, incomplete)
    (incomplete / "data_batch_3").unlink()
    args = [arg.format(file=tmp_path / "file", incomplete=incomplete) for arg in args]
    result = run_script(REPO / "experiments" / "flatten_dense.py", "--out", tmp_path / "run", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists() and (tmp_path / "file").read_text() == "a file, not a folder"


@pytest.mark.slow
def test_compare_tables_every_trained_model(cifar_batches, runs_folder, tmp_path):
    before = assets_snapshot()
    result = run_script(REPO / "experiments" / "compare.py", "--data", cifar_batches, "--runs", runs_folder,
                        "--out", tmp_path, "--limit", 20)
    assert result.returncode == 0, result.stderr[-3000:]
    table = (tmp_path / "results.md").read_text()
    trained = [p.stem for p in SCRIPTS if (runs_folder / p.stem / "model.keras").exists()]
    assert len(trained) == len(SCRIPTS)
    assert table.count("\n| ") == len(trained) + 2  # header, the gray baseline, one row per model
    assert "gray baseline" in table and "PSNR (dB)" in table
    for name in ("comparison-grid.png", "learning-curves.png", "quality-vs-minutes.png", "results.csv",
                 "results-per-class.md", "results-per-class-psnr.csv"):
        assert (tmp_path / name).is_file(), name
    assert assets_snapshot() == before


@pytest.mark.slow
def test_compare_without_trained_models_says_so(cifar_batches, tmp_path):
    result = run_script(REPO / "experiments" / "compare.py", "--data", cifar_batches, "--runs", tmp_path / "none",
                        "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "no trained models" in result.stderr and "Traceback" not in result.stderr
    result = run_script(REPO / "experiments" / "compare.py", "--data", cifar_batches, "--runs", tmp_path / "none",
                        "--out", tmp_path / "out", "--limit", 20, "--bundled")
    assert result.returncode == 0, result.stderr[-3000:]
    table = (tmp_path / "out" / "results.md").read_text()
    assert table.count("(bundled weights)") == 4  # the two CIFAR-10 U-Nets and the two photo models


@pytest.mark.slow
def test_photo_experiment_trains_on_photos_and_resumes_a_finished_run(tiny_imagenet_zip, bsds_folder, tmp_path):
    before = assets_snapshot()
    out, assets = tmp_path / "unet_photo", tmp_path / "assets"
    args = ("--data", tiny_imagenet_zip, "--epochs", 2, "--batch-size", 4, "--assets", assets,
            "--choose-on", bsds_folder / "val")
    result = run_script(REPO / "experiments" / "unet_photo.py", *args, "--out", out, "--validation-images", 4)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "metrics.json").read_text())
    assert report["dataset"] == "Tiny ImageNet (subset)" and report["train_images"] == 11
    assert report["output"] == "two_heads" and 0.0 <= report["decoding"]["vividness"] <= 1.0
    decoding = json.loads((out / "model.json").read_text())  # vividness and balance, chosen on the photos
    assert (decoding["vividness"], decoding["balance"]) == (report["decoding"]["vividness"], report["decoding"]["balance"])
    assert decoding["balance"] in (0.0, 0.25, 0.5, 0.625, 0.75, 1.0) and "val" in decoding["chosen_on"]
    # a second run of a finished training (say, killed while evaluating) trains nothing again
    again = run_script(REPO / "experiments" / "unet_photo.py", *args, "--out", out, "--validation-images", 4)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Epoch 1/2" not in again.stdout
    assert (assets / "unet-photo-metrics.json").is_file() and (assets / "unet-photo1.png").is_file()
    assert assets_snapshot() == before, "a test must never touch README-assets"


@pytest.mark.slow
@pytest.mark.parametrize("script, grown", [("unet_photo_mix", False), ("unet_photo_mix_large", True)])
def test_fine_tuning_on_a_mix_of_photo_sets_starts_from_the_bundled_model(script, grown, tiny_imagenet_zip,
                                                                          bsds_folder, tmp_path):
    from colorize_cnn.colorize import load_colorizer

    out = tmp_path / script
    result = run_script(REPO / "experiments" / f"{script}.py", "--data", tiny_imagenet_zip, bsds_folder / "test",
                        "--epochs", 2, "--steps-per-epoch", 3, "--batch-size", 3, "--choose-on", bsds_folder / "val",
                        "--dataset-weights", 3, 1, "--out", out, "--assets", tmp_path / "assets")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "metrics.json").read_text())
    assert report["dataset"] == "Tiny ImageNet (subset) (75%) + photo folder test (25%)"
    assert report["train_images"] == 11 + 3  # one of the four photos held out
    bundled = load_colorizer("unet_photo", runtime="keras").model.count_params()
    assert report["test_images"] == 4 + 1 and (report["parameters"] > bundled if grown else report["parameters"] == bundled)
    decoding = json.loads((out / "model.json").read_text())
    assert "val" in decoding["chosen_on"] and decoding["balance"] in (0.0, 0.25, 0.5, 0.625, 0.75, 1.0)
    assert len((out / "history.csv").read_text().splitlines()) == 1 + 2
    one_path = run_script(REPO / "experiments" / f"{script}.py", "--data", tiny_imagenet_zip)
    assert one_path.returncode == 2 and "--data: expected 2 arguments" in one_path.stderr


@pytest.mark.slow
def test_every_training_knob_is_an_option():
    result = run_script(REPO / "experiments" / "unet_photo.py", "--help")
    for option in ("--epochs", "--batch-size", "--learning-rate", "--learning-rate-schedule", "--rebalance-mix",
                   "--jit-compile", "--steps-per-execution", "--steps-per-epoch", "--progress-vividness", "--validation-images", "--seed",
                   "--distribute {none,devices,processes}", "--logical-cpus"):
        assert option in result.stdout, option
    bad = run_script(REPO / "experiments" / "unet_photo.py", "--data", "x", "--learning-rate-schedule", "linear")
    assert bad.returncode == 2 and "invalid choice: 'linear' (choose from 'constant', 'cosine')" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = run_script(REPO / "experiments" / "unet_photo.py", "--data", "x", "--rebalance-mix", "1.5")
    assert bad.returncode == 1 and "rebalance_mix must be in [0, 1]" in bad.stderr  # the config's own checks
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_recipe_comparison_runs_each_recipe_and_scores_it(tiny_imagenet_zip, bsds_folder, tmp_path):
    out = tmp_path / "recipes.json"
    result = run_script(REPO / "experiments" / "photo_recipes.py", "--data", tiny_imagenet_zip, "--bsds500-val",
                        bsds_folder / "val", "--steps-of-images", 11, "--held-out", 2, "--recipes", "reference", "milder", "--out", out,
                        "--models", tmp_path / "models")
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert [r["recipe"] for r in results] == ["reference", "milder rebalancing (mix 0.8)"]
    assert all(len(r["points"]) == 2 and r["epochs"] == 5 for r in results)  # BSDS500 val and held-out images
    for result in results:
        for points in result["points"].values():
            assert [p["vividness"] for p in points] == [0.0, 0.25, 0.5, 0.75, 1.0]
            assert {"cast_a", "cast_b", "below_gray_3db", "worst_10_vs_gray"} <= set(points[0])
        assert result["chosen_vividness"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    saved = json.loads((tmp_path / "models" / "reference.json").read_text())
    assert saved["vividness"] == results[0]["chosen_vividness"] and (tmp_path / "models" / "reference.keras").is_file()
    report = run_script(REPO / "experiments" / "photo_recipes.py", "--report", out, out, "--out", tmp_path / "table.md")
    table = (tmp_path / "table.md").read_text()  # both runs, both sets, at 0, 0.5 and the chosen vividness
    assert report.returncode == 0 and table.count("| milder rebalancing") >= 2 * 2 * 2 and "| 0.5 |" in table


@pytest.mark.slow
def test_hint_experiment_fine_tunes_from_a_model_and_lowers_the_loss(tiny_imagenet_zip, tmp_path):
    from colorize_cnn.models import build_model

    start = tmp_path / "automatic.keras"
    build_model("unet_photo", base_filters=24).save(start)  # the width experiments/unet_hints.py uses
    out = tmp_path / "unet_hints"
    result = run_script(REPO / "experiments" / "unet_hints.py", "--data", tiny_imagenet_zip, "--epochs", 3,
                        "--batch-size", 4, "--assets", tmp_path / "assets", "--out", out, "--validation-images", 4,
                        "--initial-model", start, "--learning-rate", 3e-3)
    assert result.returncode == 0, result.stderr[-3000:]
    history = (out / "history.csv").read_text().splitlines()
    header, rows = history[0].split(","), [line.split(",") for line in history[1:]]
    losses = [float(row[header.index("loss")]) for row in rows]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert json.loads((out / "train_config.json").read_text())["initial_model"] == str(start)
    report = json.loads((out / "metrics.json").read_text())
    assert report["output"] == "two_heads"


@pytest.mark.slow
def test_hint_recipes_and_the_hint_report_run_on_small_data(tiny_imagenet_zip, bsds_folder, tmp_path):
    from PIL import Image
    from scipy.io import savemat

    out = tmp_path / "hint-recipes.json"
    result = run_script(REPO / "experiments" / "hint_recipes.py", "--data", tiny_imagenet_zip, "--bsds500-val",
                        bsds_folder / "val", "--steps-of-images", 11, "--recipes", "fine-tune, lr 1e-3", "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    (recipe,) = json.loads(out.read_text())["results"]
    assert recipe["recipe"] == "fine-tune, lr 1e-3" and set(recipe["hints"]) == {"0", "1", "5", "10"}
    report = run_script(REPO / "experiments" / "hint_recipes.py", "--report", out, "--out", tmp_path / "table.md")
    assert report.returncode == 0 and "| fine-tune, lr 1e-3 |" in (tmp_path / "table.md").read_text()
    # the hint report, with segmentations in BSDS500's .mat layout: left half one segment, right half another
    for split in ("val", "test"):
        truth = bsds_folder / "groundTruth" / split
        truth.mkdir(parents=True, exist_ok=True)
        for photo in (bsds_folder / split).glob("*.jpg"):
            width, height = Image.open(photo).size
            segmentation = np.ones((height, width), np.uint16)
            segmentation[:, width // 2:] = 2
            cell = np.empty((1, 1), dtype=object)
            cell[0, 0] = {"Segmentation": segmentation}
            savemat(truth / f"{photo.stem}.mat", {"groundTruth": cell})
    folder = tmp_path / "hints"
    result = run_script(REPO / "experiments" / "hints.py", "--bsds500", bsds_folder, "--tiny-imagenet",
                        tiny_imagenet_zip, "--limit", 4, "--tiny-images", 4, "--out", folder)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((folder / "hints.json").read_text())
    for summary in results["sets"].values():
        assert set(summary["hints"]) == {"0", "1", "2", "5", "10", "20", "50"}
    assert len(results["sets"]) == 3  # BSDS500 val (3 photos) and test (4), Tiny ImageNet val
    single = results["single_hint"]
    assert [value["spread"]["trials"] for value in single.values()] == [9, 12]
    for value in single.values():
        assert value["recolour"]["trials"] == value["spread"]["trials"]
        assert 0.0 <= value["recolour"]["hints_moving_others"] <= 1.0 and value["spread"]["propagation_range"] >= 0
    assert "recolour" in (folder / "hints.md").read_text()
    assert len(list((folder / "hint-files" / "bsds500-test").glob("*.json"))) == 4
    assert (folder / "hints-psnr.png").is_file() and (folder / "hints-photos.png").is_file()
    saved = {path.name: path.read_text() for path in (folder / "hint-files" / "bsds500-test").glob("*.json")}
    again = run_script(REPO / "experiments" / "hints.py", "--bsds500", bsds_folder, "--tiny-imagenet",
                       tiny_imagenet_zip, "--limit", 4, "--tiny-images", 4, "--out", folder)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {path.name: path.read_text() for path in (folder / "hint-files" / "bsds500-test").glob("*.json")} == saved
    rerun = json.loads((folder / "hints.json").read_text())  # the saved hints again: the same scores
    for key, summary in results["sets"].items():
        assert rerun["sets"][key]["hints"]["10"]["psnr"] == pytest.approx(summary["hints"]["10"]["psnr"], rel=1e-4)
