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


def _process(script_args, coordinator, count, index, out):
    """One process of a run on 127.0.0.1 (JAX backend, CPU), in its own process group."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, *map(str, script_args), "--distribute", "processes", "--coordinator",
                             coordinator, "--num-processes", str(count), "--process-id", str(index), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO,
                            start_new_session=True)


def _start_processes(script_args, out, count=2):
    """``count`` processes of one run on 127.0.0.1."""
    coordinator = f"127.0.0.1:{_free_port()}"
    return [_process(script_args, coordinator, count, index, out) for index in range(count)]


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


def _error_lines(output):
    return [line for line in output.splitlines() if line.startswith("error:") or ": error:" in line]


def test_a_bad_coordinator_or_process_id_is_refused_in_one_line_before_anything_starts(tmp_path):
    import time

    script = (REPO / "experiments" / "flatten_dense.py", "--limit", 20)
    for coordinator, count, index, message in (
            ("nonsense", 2, 0, "--coordinator must be HOST:PORT"), ("127.0.0.1:abc", 2, 0, "--coordinator must be"),
            ("127.0.0.1:0", 2, 1, "a port from 1 to 65535"), ("127.0.0.1:29500", 2, 2, "--process-id must be from 0 to 1")):
        started = time.monotonic()
        process = _process(script, coordinator, count, index, tmp_path / "run")
        output = process.communicate(timeout=120)[0]
        assert process.returncode == 1 and time.monotonic() - started < 60, output[-2000:]
        assert len(_error_lines(output)) == 1 and message in output and "Traceback" not in output, output[-2000:]
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.slow
def test_misconfigured_pairs_end_within_a_bounded_time_with_one_line_each(cifar_batches, tmp_path):
    script = (REPO / "experiments" / "flatten_dense.py", "--data", cifar_batches, "--limit", 20, "--batch-size", 10,
              "--join-timeout", 5)
    alone, differing = f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"
    cases = {  # name: (process, what its one line must say)
        "peer never starts": (_process((*script, "--epochs", 2), alone, 2, 0, tmp_path / "a"),
                              "process 1 did not join within 5 s"),
        "process 0 never starts": (_process((*script, "--epochs", 2), f"127.0.0.1:{_free_port()}", 2, 1, tmp_path / "b"),
                                   "process 0 did not answer"),
        "epochs differ, process 0": (_process((*script, "--epochs", 2), differing, 2, 0, tmp_path / "c"),
                                     "settings differ from process 0's"),
        "epochs differ, process 1": (_process((*script, "--epochs", 3), differing, 2, 1, tmp_path / "c"),
                                     "process 0 refused the run"),
    }
    try:
        outputs = {name: process.communicate(timeout=240)[0] for name, (process, _) in cases.items()}
    finally:
        _end([process for process, _ in cases.values()])
    for name, (process, message) in cases.items():
        output = outputs[name]
        assert process.returncode == 1, (name, output[-2000:])
        assert len(_error_lines(output)) == 1 and message in output, (name, output[-2000:])
        assert "Traceback" not in output and "Check failure" not in output, (name, output[-2000:])


@pytest.mark.slow
def test_processes_killed_mid_run_resume_from_the_last_complete_epoch(cifar_batches, tmp_path):
    import signal
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
        os.killpg(processes[1].pid, signal.SIGKILL)  # process 1 dies mid-run: process 0 ends soon, saying so
        killed = time.monotonic()
        output = processes[0].communicate(timeout=60)[0]
        assert time.monotonic() - killed < 30 and processes[0].returncode == 1, output[-3000:]
        assert "process 1 ended before the run did" in output and "Traceback" not in output, output[-3000:]
    finally:
        _end(processes)
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


@pytest.mark.slow
def test_a_batch_the_devices_cannot_share_is_refused_in_one_line(cifar_batches, tmp_path):
    script = [sys.executable, str(REPO / "experiments" / "flatten_dense.py"), "--data", str(cifar_batches), "--limit",
              "20", "--batch-size", "10", "--epochs", "1", "--distribute", "devices"]
    base = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs = {  # three devices, a batch of 10: on TensorFlow's MirroredStrategy and on JAX
        "tensorflow": subprocess.Popen([*script, "--logical-cpus", "3", "--out", str(tmp_path / "tf")], env=base,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                                       start_new_session=True),
        "jax": subprocess.Popen([*script, "--out", str(tmp_path / "jax")], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, cwd=REPO, start_new_session=True, env={
                                    **base, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
                                    "XLA_FLAGS": "--xla_force_host_platform_device_count=3"}),
    }
    try:
        outputs = {name: process.communicate(timeout=300)[0] for name, process in runs.items()}
    finally:
        _end(list(runs.values()))
    for name, process in runs.items():
        output = outputs[name]
        assert process.returncode == 1 and "Traceback" not in output, (name, output[-2000:])
        assert _error_lines(output) == ["error: the batch size 10 must be a multiple of the number of devices (3), "
                                        "which share every batch evenly: e.g. --batch-size 12 or 9."], output[-2000:]
