"""Every registered model and its loss on both Keras backends: one training step from the same
weights on the same batch gives the same first loss on TensorFlow (this process) and JAX (a
subprocess: the backend is fixed when Keras is imported)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from colorize_cnn import color
from colorize_cnn.hints import simulate_planes, with_hint_planes
from colorize_cnn.models import MODEL_NAMES, build_model
from tests.conftest import SMALL, make_images

pytest.importorskip("jax")

# float32 throughout; the backends sum convolutions and reductions in different orders (oneDNN
# against XLA), which moves a loss of order 1-10 by about 1e-6 relative: 1e-4 leaves room for that
# and still catches any real difference (a wrong axis, a missing weight, another loss) by far
RELATIVE_TOLERANCE = 1e-4

FIRST_STEP = """
import json, sys
import numpy as np
import keras
from colorize_cnn import color, heads
from colorize_cnn.models import build_model
folder, names, small = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
batch = np.load(f"{folder}/batch.npz")
losses = {"backend": keras.backend.backend()}
for name in names:
    model = build_model(name, **small.get(name, {}))
    model.load_weights(f"{folder}/{name}.weights.h5")
    kind, stride = heads.output_kind(model), heads.output_stride(model)
    loss, weights = heads.training_loss(kind, np.ones(color.NUM_AB_BINS, np.float32))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, loss_weights=weights)
    inputs = batch["hinted"] if heads.takes_hints(model) else batch["gray"]
    result = model.train_on_batch(inputs, heads.fit_targets(kind, batch["rgb"], stride))
    losses[name] = np.atleast_1d(result).astype(float).tolist()  # the total, then each head's (two heads)
print(json.dumps(losses))
"""


def first_losses(folder, backends):
    """{backend: the first losses of every model}, one subprocess per backend, run side by side
    (most of each is single-threaded tracing and compiling)."""
    processes = {}
    for backend in backends:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
        processes[backend] = subprocess.Popen(
            [sys.executable, "-c", FIRST_STEP, str(folder), json.dumps(MODEL_NAMES), json.dumps(SMALL)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=Path(__file__).parent.parent)
    losses = {}
    try:
        for backend, process in processes.items():
            stdout, stderr = process.communicate(timeout=600)
            assert process.returncode == 0, stderr[-3000:]
            losses[backend] = json.loads(stdout.strip().splitlines()[-1])
    finally:
        for process in processes.values():
            process.kill()
            process.wait()
    return losses


@pytest.mark.slow
def test_every_model_takes_the_same_first_step_on_tensorflow_and_jax(tmp_path):
    rgb = make_images(4, seed=9).astype(np.float32) / 255.0
    hinted = with_hint_planes(color.rgb_to_gray(rgb), simulate_planes(color.rgb_to_lab(rgb)[..., 1:],
                                                                       np.random.default_rng(0)))
    np.savez(tmp_path / "batch.npz", gray=color.rgb_to_gray(rgb), rgb=rgb, hinted=hinted)
    for name in MODEL_NAMES:  # the same starting weights for both: the backends' random initialisers differ
        model = build_model(name, **SMALL.get(name, {}))
        model(np.zeros((1, 32, 32, model.input_shape[-1]), np.float32))
        model.save_weights(tmp_path / f"{name}.weights.h5")
    tensorflow, jax = first_losses(tmp_path, ("tensorflow", "jax")).values()
    assert (tensorflow.pop("backend"), jax.pop("backend")) == ("tensorflow", "jax")
    assert set(tensorflow) == set(jax) == set(MODEL_NAMES)
    print("relative differences of the first loss, JAX against TensorFlow:", {  # pytest -s shows them
        name: float(np.max(np.abs(np.subtract(jax[name], tensorflow[name])) / np.abs(tensorflow[name])))
        for name in MODEL_NAMES})
    for name in MODEL_NAMES:
        assert np.isfinite(tensorflow[name]).all() and tensorflow[name][0] > 0
        np.testing.assert_allclose(jax[name], tensorflow[name], rtol=RELATIVE_TOLERANCE, err_msg=name)
