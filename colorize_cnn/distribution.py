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

  Before JAX joins them, the processes meet on their own (``join``), because JAX's failures end a
  process with a C++ abort and no word of what went wrong: process 0 listens on the coordinator's
  port, every other process reports its id and a hash of the run's settings there, and each ends
  with one line if a process does not come within the join timeout (``--join-timeout``, naming
  who is missing), if two claim one id, or if the settings differ (another ``--epochs``, batch
  size or data set). The connections stay open while they train: when a process ends before the
  run does (an error, a kill, a crash), the others end within a second with one line naming it,
  and the last complete backup stays for a restart. After training (``leave``) they part, and each
  finishes alone.
"""

import contextlib
import hashlib
import json
import os
import sys
import time

from colorize_cnn import peers

ENVIRONMENT = {"coordinator": "KERAS_DISTRIBUTION_JOB_ADDRESSES", "num_processes": "KERAS_DISTRIBUTION_NUM_PROCESSES",
               "process_id": "KERAS_DISTRIBUTION_PROCESS_ID"}


JOIN_TIMEOUT = 60.0  # seconds the processes wait for each other at the start
HEARTBEAT_SECONDS = 30  # JAX's own: a process that stops answering (hung, not ended) counts as dead after this
_join_timeout = JOIN_TIMEOUT
_devices = None  # how many devices share each batch under scope("devices")
_peers = None  # the open connections to the other processes (``peers.Peers``), between ``join`` and ``leave``


def set_process_environment(coordinator=None, num_processes=None, process_id=None, join_timeout=None):
    """The command line's flags into ``keras.distribution.initialize``'s environment variables
    (and the join timeout, in seconds)."""
    global _join_timeout
    for name, value in (("coordinator", coordinator), ("num_processes", num_processes), ("process_id", process_id)):
        if value is not None:
            os.environ[ENVIRONMENT[name]] = str(value)
    if join_timeout is not None:
        _join_timeout = float(join_timeout)


def process_settings():
    """``(host, port, number of processes, this process's id)`` from the environment, checked:
    refuses (``UserError``, one line) a coordinator that is not ``host:port`` with a port of 1 to
    65535, and an id outside 0 .. N-1; before anything starts."""
    from colorize_cnn.errors import UserError

    missing = [variable for variable in ENVIRONMENT.values() if variable not in os.environ]
    if missing:
        raise UserError(f"distribute='processes' needs the coordinator's address, the number of processes and "
                        f"this process's id: pass --coordinator HOST:PORT --num-processes N --process-id I "
                        f"(or set {', '.join(missing)}).")
    address = os.environ[ENVIRONMENT["coordinator"]].split(",")[0].strip()  # Keras: the first of a list
    host, _, port = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise UserError(f"--coordinator must be HOST:PORT (process 0's address, a port from 1 to 65535), e.g. "
                        f"127.0.0.1:29500. Received: {address[:60]!r}")
    numbers = {}
    for name in ("num_processes", "process_id"):
        text = os.environ[ENVIRONMENT[name]].strip()
        if not (text.isascii() and text.isdigit()):
            raise UserError(f"--{name.replace('_', '-')} must be a whole number. Received: {text[:20]!r}")
        numbers[name] = int(text)
    count, index = numbers["num_processes"], numbers["process_id"]
    if count < 1 or not 0 <= index < count:
        raise UserError(f"--process-id must be from 0 to {count - 1} for --num-processes {count}. "
                        f"Received: --process-id {index}")
    return host, int(port), count, index


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
    """``(per-process batch size, slice of a global batch this process reads)``; refuses a batch
    that the processes, or the devices of ``scope("devices")``, cannot share evenly."""
    from colorize_cnn.errors import UserError

    count, index = process_count_and_index()
    for sharers, what in ((count, "processes"), (_devices, "devices")):
        if sharers and batch_size % sharers:
            below, above = batch_size // sharers * sharers, -(-batch_size // sharers) * sharers
            raise UserError(f"the batch size {batch_size} must be a multiple of the number of {what} ({sharers}), "
                            f"which share every batch evenly: e.g. --batch-size {above}"
                            + (f" or {below}." if below else "."))
    return batch_size // count, slice(index, None, count)


def scope(distribute, settings=None):
    """Where the model and its optimizer are built for ``distribute`` (see the module docstring).
    ``settings``: what must be the same in every process (JSON), compared when they join."""
    global _devices
    import keras

    from colorize_cnn.errors import UserError

    _devices = None
    if distribute == "none":
        return contextlib.nullcontext()
    if distribute == "processes":
        if keras.backend.backend() != "jax":
            raise UserError(f"distribute='processes' trains through keras.distribution on the JAX backend; the Keras "
                            f"backend is {keras.backend.backend()!r}. Set KERAS_BACKEND=jax.")
        if keras.distribution.distribution() is None:
            join(settings)
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
        _devices = len(keras.distribution.distribution().device_mesh.devices.ravel())
        return contextlib.nullcontext()
    if keras.backend.backend() != "tensorflow":
        raise UserError(f"distribute='devices' trains through TensorFlow's MirroredStrategy or JAX's keras.distribution; "
                        f"the Keras backend is {keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow or jax.")
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy()
    _devices = strategy.num_replicas_in_sync
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
    what comes after training, evaluation and saving, needs no other process); the processes part
    (``leave``)."""
    import keras

    weights = model.get_weights()  # replicated: every process holds all of them
    keras.distribution.set_distribution(None)
    leave()
    copy = keras.models.clone_model(model)
    copy.set_weights(weights)
    return copy


def join(settings=None):
    """Joins the other processes (see the module docstring), then JAX's distributed system."""
    global _peers
    import jax

    from colorize_cnn.errors import UserError

    host, port, count, index = process_settings()
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    deadline = time.monotonic() + _join_timeout
    if count > 1:
        _peers = (peers.gather if index == 0 else peers.report)(host, port, count, index, digest, deadline,
                                                                _join_timeout)
    try:
        jax.distributed.initialize(f"{host}:{port}" if ":" not in host else f"[{host}]:{port}", count, index,
                                   initialization_timeout=max(10, int(deadline - time.monotonic()) + 10),
                                   heartbeat_timeout_seconds=HEARTBEAT_SECONDS, shutdown_timeout_seconds=60)
    except RuntimeError as error:  # called after JAX started (e.g. in a notebook that already used it)
        raise UserError(f"cannot join the other processes: {error}") from None
    if _peers is not None:
        _peers.watch()


def leave():
    """Parts from the other processes after training: no ending of one is an error any more, and
    JAX's distributed system shuts down here, in every process together (not at exit, where a
    process would wait for the others to finish their evaluation)."""
    global _peers
    if _peers is None:
        return
    _peers.leave()
    _peers = None
    import jax

    jax.distributed.shutdown()


@contextlib.contextmanager
def parting():
    """Wraps an entry point: an error that ends this process while it is still joined to others
    is printed (one line for a ``UserError``, else its traceback) and the process ends at once, as
    the others do when they learn of it; a normal exit would wait in JAX's shutdown for processes
    that are gone, and then abort."""
    try:
        yield
    except BaseException as error:
        if _peers is None:
            raise
        from colorize_cnn.errors import UserError

        if isinstance(error, UserError):
            print(f"error: {error}", file=sys.stderr)
        else:
            import traceback

            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


@contextlib.contextmanager
def watched():
    """Runs a block that talks to the other processes: when one of them ends meanwhile, the error
    this process meets (a failed collective) waits a moment for the watcher's one line first."""
    try:
        yield
    except Exception:
        if _peers is not None:
            _peers.ended.wait(5)  # the watcher ends this process with its line (os._exit)
        raise


def use_logical_cpus(count):
    """Splits the CPU into ``count`` logical devices (before TensorFlow first uses it), so that
    distribute="devices" can be tried and tested on a machine without GPUs."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
