"""Smoke tests: the benchmarks run on a few steps and print their tables (they are not timed here)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=600, env=env, cwd=REPO)


@pytest.mark.slow
def test_train_throughput_prints_its_table():
    result = run(REPO / "benchmarks" / "train_throughput.py", "--models", "flatten_dense", "--repeats", "1", "--steps", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("flatten_dense")]
    assert all(row.endswith("%") for row in rows)
    throughput, parts = rows[:4], rows[4:]
    assert sum("tf.data" in row for row in throughput) == 3 and sum("arrays" in row for row in throughput) == 1
    # its Dense layer reads the model's input, so a step has no input-gradient product to time
    assert [row.split()[2] for row in parts] == ["forward", "weight", "Adam"]


@pytest.mark.slow
def test_colorize_sizes_prints_its_table():
    result = run(REPO / "benchmarks" / "colorize_sizes.py", "--sizes", "0.01", "0.04", "--repeats", "1",
                 "--folder-images", "2", "--cli-megapixels", "0.05")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "recombine" in lines[1] and len(lines) == 10
    assert [row.split()[2] for row in lines[2:6]] == ["onnx", "keras"] * 2  # a row per size and runtime
    assert [len(row.split()) for row in lines[2:6]] == [16] * 4
    assert "images/s" in lines[6] and "PNG zlib level" in lines[7]
    assert ["--runtime onnx" in lines[8], "--runtime keras" in lines[9]] == [True, True] and "s wall" in lines[9]


@pytest.mark.slow
def test_hint_latency_prints_its_table():
    result = run(REPO / "benchmarks" / "hint_latency.py", "--megapixels", "0.05", "--repeats", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "open the photo" in lines[0] and "median ms" in lines[1]
    assert [line.split()[0] for line in lines[2:]] == ["hint", "hint", "suggest", "colorize()"]
