"""Where training runs: one device, every device of a machine, or several processes.

* ``none``: Keras's default device.
* ``devices``: every local device, data-parallel, through TensorFlow's ``MirroredStrategy`` on
  the TensorFlow backend (``use_logical_cpus`` splits a CPU to try it without GPUs), or
  ``keras.distribution.DataParallel`` on JAX.
* ``processes``: several processes, on one machine or several, through ``keras.distribution``
  on the JAX backend (``DataParallel``; JAX's own collectives, Gloo on CPUs). Configured the
  standard Keras way, by ``keras.distribution.initialize``'s environment variables:
  ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (the coordinator, ``host:port``, the same for every
  process), ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID`` (0 .. N-1);
  the experiment scripts' ``--coordinator``, ``--num-processes`` and ``--process-id`` set them.
  Each process reads only its share of every global batch (``shard``); process 0 alone writes
  files (``is_writer``), while every process takes part in saving weights (Keras's save creates a
  variable, which under a distribution needs every process: one process saving alone waits
  forever).
"""

import contextlib
import os

ENVIRONMENT = {"coordinator": "KERAS_DISTRIBUTION_JOB_ADDRESSES", "num_processes": "KERAS_DISTRIBUTION_NUM_PROCESSES",
               "process_id": "KERAS_DISTRIBUTION_PROCESS_ID"}


def set_process_environment(coordinator=None, num_processes=None, process_id=None):
    """The command line's flags into ``keras.distribution.initialize``'s environment variables."""
    for name, value in (("coordinator", coordinator), ("num_processes", num_processes), ("process_id", process_id)):
        if value is not None:
            os.environ[ENVIRONMENT[name]] = str(value)


def process_count_and_index():
    """``(number of processes, this process's index)``: ``(1, 0)`` unless a distribution over
    several processes is set."""
    import keras

    distribution = keras.distribution.distribution()
    if distribution is None or not getattr(distribution, "_is_multi_process", False):
        return 1, 0
    return distribution.num_processes, distribution._process_id


def is_writer():
    """Whether this process writes the run's files (the only one, or process 0)."""
    return process_count_and_index()[1] == 0


def agree(value):
    """Process 0's ``value`` (a bool) in every process: one decision for all, and a point every
    process reaches before any goes on. One process: ``value``."""
    if process_count_and_index()[0] == 1:
        return value
    import numpy as np
    from jax.experimental import multihost_utils

    return bool(multihost_utils.broadcast_one_to_all(np.array(value)))


def shard(batch_size):
    """``(per-process batch size, slice of a global batch this process reads)``."""
    from colorize_cnn.errors import UserError

    count, index = process_count_and_index()
    if batch_size % count:
        raise UserError(f"the batch size {batch_size} must be a multiple of the number of processes ({count}).")
    return batch_size // count, slice(index, None, count)


def scope(distribute):
    """Where the model and its optimizer are built for ``distribute`` (see the module docstring)."""
    import keras

    from colorize_cnn.errors import UserError

    if distribute == "none":
        return contextlib.nullcontext()
    if distribute == "processes":
        if keras.backend.backend() != "jax":
            raise UserError(f"distribute='processes' trains through keras.distribution on the JAX backend; the Keras "
                            f"backend is {keras.backend.backend()!r}. Set KERAS_BACKEND=jax.")
        missing = [variable for variable in ENVIRONMENT.values() if variable not in os.environ]
        if missing:
            raise UserError(f"distribute='processes' needs the coordinator's address, the number of processes and "
                            f"this process's id: pass --coordinator HOST:PORT --num-processes N --process-id I "
                            f"(or set {', '.join(missing)}).")
        if keras.distribution.distribution() is None:
            keras.distribution.initialize()
            devices = keras.distribution.list_devices()
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices,
                                                                                auto_shard_dataset=False))
            count, index = process_count_and_index()
            print(f"training in process {index} of {count}, on {len(devices)} devices in all")
        return contextlib.nullcontext()
    if keras.backend.backend() == "jax":  # every local device, one process: keras.distribution
        if keras.distribution.distribution() is None:
            devices = keras.distribution.list_devices()
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            print(f"training on {len(devices)} devices: {', '.join(devices)}")
        return contextlib.nullcontext()
    if keras.backend.backend() != "tensorflow":
        raise UserError(f"distribute='devices' trains through TensorFlow's MirroredStrategy or JAX's keras.distribution; "
                        f"the Keras backend is {keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow or jax.")
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy()
    print(f"training on {strategy.num_replicas_in_sync} devices: "
          + ", ".join(device.split("/")[-1] for device in strategy.extended.worker_devices))
    return strategy.scope()


@contextlib.contextmanager
def local():
    """Runs the block with no distribution (a model called directly on this process's own data,
    e.g. to measure progress or evaluate); the distribution is set back after."""
    import keras

    distribution = keras.distribution.distribution()
    if distribution is None:
        yield
        return
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def local_copy(model):
    """Ends the distribution and returns ``model`` with its weights in this process alone (a clone:
    what comes after training, evaluation and saving, needs no other process)."""
    import keras

    weights = model.get_weights()  # replicated: every process holds all of them
    keras.distribution.set_distribution(None)
    copy = keras.models.clone_model(model)
    copy.set_weights(weights)
    return copy


def use_logical_cpus(count):
    """Splits the CPU into ``count`` logical devices (before TensorFlow first uses it), so that
    distribute="devices" can be tried and tested on a machine without GPUs."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
