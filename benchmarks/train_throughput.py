"""Training throughput of every registered model against this machine's limit, and where the time goes.

For each model at the original settings (batch size 32, Adam, float32) it measures images per
second (median of several timed runs of whole epochs on in-memory data, after a warm-up; the
slowest run is printed too, since idle steps show there first) with:

* XLA, 16 training steps per call into TensorFlow (steps_per_execution), the package's tf.data pipeline;
* XLA and the package's pipeline (what the experiments use, except flatten -> dense, which uses 16);
* XLA and Keras's own pipeline for NumPy arrays (``model.fit(arrays)``, tf.data's autotuner on);
* neither XLA nor several steps per call.

It also measures the machine (again before each model: a shared virtual machine drifts):

* float32 matrix-multiply rate: a 2048 x 2048 x 2048 matmul in TensorFlow (median of runs);
* memory bandwidth: an XLA-fused streaming update ``a += s * b`` over 512 MB arrays (reads two
  arrays, writes one), the access pattern of an optimizer step.

The limit of one training step is (a) its arithmetic, 3x the forward pass's multiply-adds in
Dense and Conv2D layers (forward + two backward products), at the measured matmul rate, plus
(b) the optimizer's pass over every parameter: Adam reads the weight, its gradient and two
moments and writes the weight and both moments, 7 x 4 = 28 bytes per parameter, at the measured
bandwidth. The first table prints measured / limit.

The second table times, alone and under XLA, the parts of a step that touch the largest Dense
layer of each model: its three matrix products at batch size 32 and Adam's update of its kernel,
each against its own share of the limit (less the fixed cost of one call into TensorFlow).

Run:  python benchmarks/train_throughput.py [--repeats 5] [--models NAME ...]
Time: about 9 minutes for the three original models at 5 repeats on a 2-core CPU; the U-Nets add more.
"""

import argparse
import os
import statistics
import sys
import time

ADAM_BYTES_PER_PARAMETER = 7 * 4


def timed_runs(function, repeats):
    """Wall seconds of ``repeats`` calls, after one warm-up call (tracing, XLA compilation, caches)."""
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def median_seconds(function, repeats):
    return statistics.median(timed_runs(function, repeats))


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


def images_per_second(name, jit_compile, steps_per_execution, keras_arrays, batch_size, steps, repeats):
    import keras
    import numpy as np

    from colorize_cnn import color, heads
    from colorize_cnn.models import build_model
    from colorize_cnn.data import in_memory_batches

    model = build_model(name)
    kind = heads.output_kind(model)
    rng = np.random.default_rng(0)
    count = batch_size * steps
    rgb = rng.random((count, 32, 32, 3), dtype=np.float32)
    gray, targets = color.rgb_to_gray(rgb), heads.fit_targets(kind, rgb, heads.output_stride(model))
    loss, loss_weights = heads.training_loss(kind)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, loss_weights=loss_weights,
                  jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    batches = None if keras_arrays else in_memory_batches(gray, targets, batch_size=batch_size)

    def epoch():
        if keras_arrays:
            model.fit(gray, targets, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
        else:
            model.fit(batches, epochs=1, verbose=0, shuffle=False)

    times = timed_runs(epoch, repeats)
    return count / statistics.median(times), count / max(times), model


def largest_dense_kernel(model):
    """(inputs, outputs) of the model's largest Dense kernel (None without one), and whether a
    training step needs the gradient with respect to that layer's input (only when a layer
    before it has weights)."""
    from keras import layers

    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    if not dense:
        return None, False
    layer = max(dense, key=lambda layer: layer.kernel.shape[0] * layer.kernel.shape[1])
    before = model.layers[: model.layers.index(layer)]  # Functional layers are in topological order
    return tuple(layer.kernel.shape), any(other.trainable_weights for other in before)


def dense_parts(kernel_shape, needs_input_gradient, batch_size, repeats, flops, bandwidth):
    """[(part, measured seconds, limit seconds)] for one Dense layer's training step, each part
    compiled and timed alone with XLA, less the fixed cost of a call."""
    import keras
    import tensorflow as tf

    inputs, outputs = kernel_shape
    kernel = tf.Variable(tf.random.normal(kernel_shape))
    # the fixed cost of one call into TensorFlow, subtracted from each part's time
    call = tf.function(lambda: kernel[0, 0], jit_compile=True)
    overhead = median_seconds(lambda: call().numpy(), repeats)
    features = tf.random.normal((batch_size, inputs))
    output_gradient = tf.random.normal((batch_size, outputs))
    products = {"forward  x W": lambda: tf.matmul(features, kernel)}
    if needs_input_gradient:
        products["input gradient  dy W^T"] = lambda: tf.matmul(output_gradient, kernel, transpose_b=True)
    products["weight gradient  x^T dy"] = lambda: tf.matmul(features, output_gradient, transpose_a=True)
    parts = []
    for part, product in products.items():
        compiled = tf.function(lambda product=product: tf.reduce_sum(product()), jit_compile=True)
        seconds = median_seconds(lambda compiled=compiled: compiled().numpy(), repeats) - overhead
        parts.append((part, seconds, 2 * batch_size * inputs * outputs / flops))
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build([kernel])
    gradient = tf.random.normal(kernel_shape)

    @tf.function(jit_compile=True)
    def update():
        optimizer.apply([gradient], [kernel])
        return kernel[0, 0]

    parts.append(("Adam update of the kernel", median_seconds(lambda: update().numpy(), repeats) - overhead,
                  ADAM_BYTES_PER_PARAMETER * inputs * outputs / bandwidth))
    return parts


def main(argv=None):
    from colorize_cnn.models import MODEL_NAMES

    parser = argparse.ArgumentParser(description="Training throughput against this machine's limit.")
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="training steps per timed run (default: 100)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    variants = [(True, 16, False), (True, 1, False), (True, 1, True), (False, 1, False)]  # XLA, spe, Keras arrays
    print(f"{os.cpu_count()} cores. The machine's rates are measured again before each model (medians of "
          f"{args.repeats}), since a shared virtual machine's speed drifts.")
    print(f"{'model':30s} {'GFLOP/s':>7s} {'GB/s':>5s} {'XLA':>4s} {'spe':>4s} {'input':>7s} {'params':>11s} {'GFLOP/step':>10s} "
          f"{'MB/step':>8s} {'limit img/s':>11s} {'slowest':>8s} {'img/s':>8s} {'ratio':>6s}")
    largest_dense = {}  # model -> ((kernel shape, needs input gradient), GFLOP/s, bandwidth)
    for name in args.models:
        flops = matmul_flops_per_second(args.repeats)
        bandwidth = memory_bytes_per_second(args.repeats)
        for jit_compile, steps_per_execution, keras_arrays in variants:
            measured, slowest, model = images_per_second(
                name, jit_compile, steps_per_execution, keras_arrays, args.batch_size, args.steps, args.repeats
            )
            step_flops = 3 * 2 * forward_multiply_adds(model) * args.batch_size
            step_bytes = ADAM_BYTES_PER_PARAMETER * model.count_params()
            limit = args.batch_size / (step_flops / flops + step_bytes / bandwidth)
            print(f"{name:30s} {flops / 1e9:7.1f} {bandwidth / 1e9:5.1f} {'on' if jit_compile else 'off':>4s} "
                  f"{steps_per_execution:4d} {'arrays' if keras_arrays else 'tf.data':>7s} {model.count_params():11,d} "
                  f"{step_flops / 1e9:10.2f} {step_bytes / 1e6:8.0f} {limit:11.0f} {slowest:8.0f} {measured:8.0f} {measured / limit:6.0%}",
                  flush=True)
        largest_dense[name] = (largest_dense_kernel(model), flops, bandwidth)

    print("\nThe parts of a step that touch the largest Dense layer, each timed alone with XLA "
          f"(batch size {args.batch_size}; limit = its share of the limit above, at that model's measured rates):")
    print(f"{'model':30s} {'kernel':>11s} {'part':28s} {'ms':>7s} {'limit ms':>8s} {'ratio':>6s}")
    for name, ((kernel_shape, needs_input_gradient), flops, bandwidth) in largest_dense.items():
        if kernel_shape is None:
            continue
        shape = "x".join(map(str, kernel_shape))
        for part, seconds, limit in dense_parts(kernel_shape, needs_input_gradient, args.batch_size, args.repeats, flops, bandwidth):
            print(f"{name:30s} {shape:>11s} {part:28s} {seconds * 1e3:7.2f} {limit * 1e3:8.2f} {limit / seconds:6.0%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
