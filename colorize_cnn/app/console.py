"""The terminal conventions that the command line and the web page's server share: exit codes,
one-line errors, TensorFlow's start-up noise kept off the terminal, and the quick exit."""

import contextlib
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130  # argparse exits 2 on bad usage; 130: Ctrl-C, as shells do


def error(program, message):
    """``program: error: message`` on stderr, the one form every refusal takes."""
    print(f"{program}: error: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def quiet_tensorflow_start():
    """Keeps TensorFlow's start-up log lines (oneDNN, CUDA probing; written by its C++ logger to file
    descriptor 2, past ``TF_CPP_MIN_LOG_LEVEL`` in TensorFlow 2.21) off the user's terminal, unless
    the user set ``TF_CPP_MIN_LOG_LEVEL`` to ask for them. Python errors are reported after it."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def exit_now(code):
    """Flushes and exits without Python's teardown of TensorFlow's modules and threads, which takes
    longer than colorizing a 12-megapixel photo (about 0.7 s here). Every output is complete by
    then (written and renamed); only a bug's traceback takes the normal way."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
