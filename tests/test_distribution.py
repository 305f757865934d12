"""Training on several devices and in several processes, end to end through the experiment scripts
(on data the tests make; processes talk over 127.0.0.1 only, are time-bounded and always ended)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def run_script(script, *args, env_extra=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})}
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env, cwd=REPO)


@pytest.mark.slow
def test_devices_distribution_over_two_logical_cpus_takes_the_same_steps(cifar_batches, tmp_path):
    losses = {}
    for mode, extra in (("none", ("--jit-compile", "false")), ("devices", ("--logical-cpus", 2))):
        # one batch per epoch: the same images in every step whatever order each run shuffles them in
        result = run_script(REPO / "experiments" / "flatten_dense.py", "--data", cifar_batches, "--limit", 10,
                            "--batch-size", 10, "--epochs", 3, "--distribute", mode, *extra, "--out", tmp_path / mode)
        assert result.returncode == 0, result.stderr[-3000:]
        history = (tmp_path / mode / "history.csv").read_text().splitlines()
        column = history[0].split(",").index("loss")
        losses[mode] = [float(line.split(",")[column]) for line in history[1:]]
        if mode == "devices":
            assert "training on 2 devices" in result.stdout
    assert len(losses["devices"]) == 3
    assert losses["devices"] == pytest.approx(losses["none"], rel=1e-5)  # float32 sums split across two devices


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_processes(script_args, out, count=2):
    """``count`` processes of one run on 127.0.0.1 (JAX backend, CPU), each in its own process group."""
    coordinator = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return [subprocess.Popen([sys.executable, *map(str, script_args), "--distribute", "processes", "--coordinator",
                              coordinator, "--num-processes", str(count), "--process-id", str(index), "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO,
                             start_new_session=True) for index in range(count)]


def _end(processes):
    for process in processes:  # whatever happened: by their ids, the whole group of each
        if process.poll() is None:
            os.killpg(process.pid, 9)
        process.wait(timeout=60)


def _checksums(outputs):
    return [float(line.split("weights checksum ")[1]) for output in outputs for line in output.splitlines()
            if "weights checksum" in line]


@pytest.mark.slow
def test_two_processes_train_as_one_process_with_the_same_global_batch(cifar_batches, tmp_path):
    import keras

    script = (REPO / "experiments" / "flatten_dense.py", "--data", cifar_batches, "--limit", 20, "--batch-size", 10,
              "--epochs", 2)
    one = run_script(*script, "--out", tmp_path / "one", env_extra={"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
    assert one.returncode == 0, one.stderr[-3000:]
    processes = _start_processes(script, tmp_path / "two")
    try:
        outputs = [process.communicate(timeout=400)[0] for process in processes]
    finally:
        _end(processes)
    assert [process.returncode for process in processes] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    assert "training in process 1 of 2" in outputs[1]
    first, second = _checksums(outputs)
    assert first == second  # both processes end with the same weights
    history = {}
    for run in ("one", "two"):
        lines = (tmp_path / run / "history.csv").read_text().splitlines()
        column = lines[0].split(",").index("loss")
        history[run] = [float(line.split(",")[column]) for line in lines[1:]]
    # float32 sums over a batch split in two and gathered across processes: a few ulps apart
    assert history["two"] == pytest.approx(history["one"], rel=1e-5)
    single = keras.saving.load_model(tmp_path / "one" / "model.keras", compile=False).get_weights()
    double = keras.saving.load_model(tmp_path / "two" / "model.keras", compile=False).get_weights()
    for a, b in zip(single, double):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert not (tmp_path / "two" / "backup").exists()


@pytest.mark.slow
def test_processes_killed_mid_run_resume_from_the_last_complete_epoch(cifar_batches, tmp_path):
    import time

    script = (REPO / "experiments" / "flatten_dense.py", "--data", cifar_batches, "--limit", 20, "--batch-size", 10,
              "--epochs", 40)
    out = tmp_path / "run"
    processes = _start_processes(script, out)
    try:
        deadline = time.monotonic() + 300
        while not list((out / "backup").glob("epoch-0002*")) and time.monotonic() < deadline:
            assert all(process.poll() is None for process in processes), "a process ended before the kill"
            time.sleep(0.02)
    finally:
        _end(processes)  # both killed mid-run
    assert list((out / "backup").glob("epoch-*.weights.h5")), "no backup before the kill"
    processes = _start_processes(script, out)
    try:
        outputs = [process.communicate(timeout=400)[0] for process in processes]
    finally:
        _end(processes)
    assert [process.returncode for process in processes] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    resumed = [line for line in outputs[0].splitlines() if line.startswith("resumed from")]
    assert resumed and int(resumed[0].split(": ")[1].split()[0]) >= 2
    first, second = _checksums(outputs)
    assert first == second
    assert len((out / "history.csv").read_text().splitlines()) == 1 + 40


@pytest.mark.slow
def test_devices_distribution_on_jax_over_two_cpu_devices_takes_the_same_steps(cifar_batches, tmp_path):
    env = {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    losses = {}
    for mode in ("none", "devices"):
        result = run_script(REPO / "experiments" / "flatten_dense.py", "--data", cifar_batches, "--limit", 20,
                            "--batch-size", 10, "--epochs", 2, "--distribute", mode, "--out", tmp_path / mode,
                            env_extra=env)
        assert result.returncode == 0, result.stderr[-3000:]
        lines = (tmp_path / mode / "history.csv").read_text().splitlines()
        column = lines[0].split(",").index("loss")
        losses[mode] = [float(line.split(",")[column]) for line in lines[1:]]
    assert "training on 2 devices: cpu:0, cpu:1" in result.stdout
    assert losses["devices"] == pytest.approx(losses["none"], rel=1e-5)
