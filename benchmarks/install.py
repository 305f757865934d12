"""The two installs side by side: the default (``pip install colorize-cnn``: ONNX Runtime) and the
train extra (``pip install "colorize-cnn[train]"``: TensorFlow, Keras, matplotlib, scikit-image).

The wheel is built from this clone and installed into a fresh virtual environment per install,
its dependencies from the package index (pip's cache makes the download time meaningless, so it
is not reported). Per install: the megabytes the install adds to an empty virtual environment
(``du``); then, in a fresh process each time, the wall time of ``colorize-cnn photo.jpg -o out.png``
on a ``--megapixels`` colour JPEG (start-up included; the default install on ONNX Runtime, the train
install with ``--runtime keras``), and of ``colorize-cnn serve`` from its start to its first answer
(the page, over 127.0.0.1). The first run after installing is reported apart (Python compiles the
packages' bytecode then); the rest are medians of ``--repeats``.

Run:  python benchmarks/install.py [--repeats 5] [--megapixels 12]
Time: about 3 minutes on a 2-core CPU with pip's cache warm.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from colorize_sizes import photo  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def megabytes(folder):
    return int(subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True).stdout.split()[0]) / 1024


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_seconds(command, folder, env):
    """Wall seconds from starting ``colorize-cnn serve`` to its first answered page."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([command, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=folder, env=env, start_new_session=True)
    try:
        while time.perf_counter() - started < 120:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    response.read()
                    return time.perf_counter() - started
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("colorize-cnn serve stopped before answering") from None
                time.sleep(0.02)
        raise RuntimeError("colorize-cnn serve did not answer within 120 s")
    finally:
        os.killpg(server.pid, 9)
        server.wait(timeout=30)


def colorize_seconds(command, folder, env, options):
    started = time.perf_counter()
    subprocess.run([command, "photo.jpg", "-o", "out.png", "--overwrite", *options], cwd=folder, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def measure(wheel, extra, options, folder, repeats):
    venv = folder / f"venv{extra or ''}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    empty = megabytes(venv)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}{extra or ''}"], check=True)
    size = megabytes(venv) - empty
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    command = str(venv / "bin" / "colorize-cnn")
    first = colorize_seconds(command, folder, env, options)
    colorized = statistics.median(colorize_seconds(command, folder, env, options) for _ in range(repeats))
    served = statistics.median(serve_seconds(command, folder, env) for _ in range(repeats))
    shutil.rmtree(venv)
    return size, first, colorized, served


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--megapixels", type=float, default=12)
    args = parser.parse_args(argv)
    from PIL import Image

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                        str(folder), str(REPO)], check=True, capture_output=True)
        (wheel,) = folder.glob("colorize_cnn-*.whl")
        width = round((args.megapixels * 1e6 * 4 / 3) ** 0.5)
        height = round(args.megapixels * 1e6 / width)
        Image.fromarray(photo(height, width)).save(folder / "photo.jpg", quality=92)
        print(f"{'install':<32} {'MB':>6} {'first photo':>12} {'photo (median)':>15} {'serve answers':>14}")
        for title, extra, options in (("pip install colorize-cnn", None, []),
                                      ('pip install "colorize-cnn[train]"', "[train]", ["--runtime", "keras"])):
            size, first, colorized, served = measure(wheel, extra, options, folder, args.repeats)
            print(f"{title:<32} {size:6.0f} {first:11.2f}s {colorized:14.2f}s {served:13.2f}s", flush=True)
        print(f"({args.megapixels:g} MP colour JPEG ({width} x {height}) -> PNG; the train install colorizes with "
              f"--runtime keras; medians of {args.repeats}; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
