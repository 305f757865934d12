"""Training throughput of every registered model against this machine's limit.

For each model at the original settings (batch size 32, Adam, float32) it measures images per
second (median of several timed runs of whole epochs on in-memory data, after a warm-up) with
XLA and 16 training steps per call into TensorFlow (steps_per_execution), with XLA alone, and
with neither. It also measures the machine:

* float32 matrix-multiply rate: a 2048 x 2048 x 2048 matmul in TensorFlow (median of runs);
* memory bandwidth: an XLA-fused streaming update ``a += s * b`` over 512 MB arrays (reads two
  arrays, writes one), the access pattern of an optimizer step.

The limit of one training step is (a) its arithmetic, 3x the forward pass's multiply-adds in
Dense and Conv2D layers (forward + two backward products), at the measured matmul rate, plus
(b) the optimizer's pass over every parameter: Adam reads the weight, its gradient and two
moments and writes the weight and both moments, 7 x 4 = 28 bytes per parameter, at the measured
bandwidth. The table prints measured / limit.

Run:  python benchmarks/train_throughput.py [--repeats 5] [--models NAME ...]
Time: about 4 minutes on a 2-core CPU.
"""

import argparse
import os
import statistics
import sys
import time

ADAM_BYTES_PER_PARAMETER = 7 * 4


def median_seconds(function, repeats):
    function()  # warm-up: tracing, XLA compilation, caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def matmul_flops_per_second(repeats, size=2048):
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    step = tf.function(lambda: tf.reduce_sum(tf.linalg.matmul(a, b)))
    return 2 * size**3 / median_seconds(lambda: step().numpy(), repeats)


def memory_bytes_per_second(repeats, megabytes=512):
    import tensorflow as tf

    count = megabytes * 2**20 // 4
    a = tf.Variable(tf.zeros(count))
    b = tf.Variable(tf.ones(count))

    @tf.function(jit_compile=True)
    def update():
        a.assign_add(1e-3 * b)
        return a[0]

    return 3 * count * 4 / median_seconds(lambda: update().numpy(), repeats)


def forward_multiply_adds(model):
    """Multiply-adds per image in the model's Dense and Conv2D layers."""
    from keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, layers.Conv2D):
            height, width = layer.output.shape[1:3]
            total += height * width * int(layer.kernel.shape[0] * layer.kernel.shape[1] * layer.kernel.shape[2] * layer.kernel.shape[3])
    return total


def images_per_second(name, jit_compile, steps_per_execution, batch_size, steps, repeats):
    import keras
    import numpy as np

    from colorize_cnn.models import build_model
    from colorize_cnn.train import _loss_for, output_kind

    model = build_model(name)
    kind = output_kind(model)
    rng = np.random.default_rng(0)
    count = batch_size * steps
    gray = rng.random((count, 32, 32, 1), dtype=np.float32)
    targets = {
        "rgb": lambda: rng.random((count, 32, 32, 3), dtype=np.float32),
        "ab": lambda: rng.uniform(-50, 50, (count, 32, 32, 2)).astype(np.float32),
        "ab_bins": lambda: rng.integers(0, model.output_shape[-1], (count, 32, 32)),
    }[kind]()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=_loss_for(kind), jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution)
    seconds = median_seconds(lambda: model.fit(gray, targets, batch_size=batch_size, epochs=1, verbose=0, shuffle=False), repeats)
    return count / seconds, model


def main(argv=None):
    from colorize_cnn.models import MODEL_NAMES

    parser = argparse.ArgumentParser(description="Training throughput against this machine's limit.")
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="training steps per timed run (default: 100)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    variants = [(True, 16), (True, 1), (False, 1)]  # (XLA, steps per execution)
    print(f"{os.cpu_count()} cores. The machine's rates are measured again before each model (medians of "
          f"{args.repeats}), since a shared virtual machine's speed drifts.")
    print(f"{'model':30s} {'GFLOP/s':>7s} {'GB/s':>5s} {'XLA':>4s} {'spe':>4s} {'params':>11s} {'GFLOP/step':>10s} "
          f"{'MB/step':>8s} {'limit img/s':>11s} {'img/s':>8s} {'ratio':>6s}")
    for name in args.models:
        flops = matmul_flops_per_second(args.repeats)
        bandwidth = memory_bytes_per_second(args.repeats)
        for jit_compile, steps_per_execution in variants:
            measured, model = images_per_second(
                name, jit_compile, steps_per_execution, args.batch_size, args.steps, args.repeats
            )
            step_flops = 3 * 2 * forward_multiply_adds(model) * args.batch_size
            step_bytes = ADAM_BYTES_PER_PARAMETER * model.count_params()
            limit = args.batch_size / (step_flops / flops + step_bytes / bandwidth)
            print(f"{name:30s} {flops / 1e9:7.1f} {bandwidth / 1e9:5.1f} {'on' if jit_compile else 'off':>4s} {steps_per_execution:4d} {model.count_params():11,d} {step_flops / 1e9:10.2f} "
                  f"{step_bytes / 1e6:8.0f} {limit:11.0f} {measured:8.0f} {measured / limit:6.0%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
