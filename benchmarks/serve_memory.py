"""The memory ``colorize-cnn serve`` takes for one large photo: held while it is open, and at peak.

A gray PNG of ``--megapixels`` (148.8 by default, just under the 150 MP limit; a smooth gradient
with a little noise, so the file itself is small, as a real large scan can be) is uploaded to a
server in this process, previewed with the hint model, previewed with the automatic model, then
downloaded. After each step: the memory the process holds above what it held with the models
loaded and no photo (resident set, after a garbage collection), and the peak resident set of that
step above the same (Linux's high-water mark, reset before each step). Beside them: this
machine's memory, read in the same run. Target (issue 35): at most 1 GB more for one 150 MP photo
previewed with both models.

Run:  python benchmarks/serve_memory.py [--megapixels 148.8] [--repeats 3]

Each repeat runs in a fresh process (a clean high-water mark); medians over the repeats.
"""

import argparse
import gc
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

STEPS = ("open", "preview (hint model)", "preview (automatic model)", "download")


def _status(field):
    """A field of /proc/self/status in bytes (VmRSS: now; VmHWM: the peak since the last reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak():
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set (Linux >= 4.0)


def machine_memory():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/meminfo has no MemTotal")


def write_photo(path, megapixels):
    import numpy as np
    from PIL import Image

    width = round((megapixels * 1e6 * 1.5) ** 0.5)
    height = round(megapixels * 1e6 / width)
    row = np.linspace(0, 255, width, dtype=np.float32)
    column = np.linspace(0, 60, height, dtype=np.float32)[:, None]
    gray = (row[None, :] * 0.75 + column).astype(np.uint8)
    gray[::97, ::89] = 255  # a little structure, so the PNG is not trivially compressible
    Image.fromarray(gray).save(path, compress_level=9)
    return width, height


def measure(path):
    """One run: the held and peak bytes above the loaded server, per step of ``STEPS``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from colorize_cnn.colorize import load_colorizer
    from colorize_cnn.app.serve import Server

    server = Server(("127.0.0.1", 0), {"unet_hints": load_colorizer("unet_hints"),
                                       "unet_photo": load_colorizer("unet_photo")}, max_upload_mb=100)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    body = Path(path).read_bytes()

    def call(url, data):
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=600)
        connection.request("POST", url, body=data)
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status} {answer[:200]!r}")
        return answer

    gc.collect()
    base = _status("VmRSS")
    results = {}
    photo_id = None
    for step in STEPS:
        _reset_peak()
        if step == "open":
            photo_id = json.loads(call("/api/photos?name=big.png&screen=1000000", body))["id"]
        elif step == "download":
            call(f"/api/photos/{photo_id}/download", json.dumps({"format": "jpeg"}).encode())
        else:
            model = "unet_hints" if "hint" in step else "unet_photo"
            call(f"/api/photos/{photo_id}/preview", json.dumps({"model": model}).encode())
        peak = _status("VmHWM")
        gc.collect()
        results[step] = (_status("VmRSS") - base, peak - base)
    server.shutdown()
    server.server_close()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=148.8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one run, in a child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.png"
        width, height = write_photo(path, args.megapixels)
        runs = []
        for _ in range(args.repeats):
            answer = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True,
                                    check=True)
            runs.append(json.loads(answer.stdout.strip().splitlines()[-1]))
        size = path.stat().st_size
    print(f"one {width} x {height} gray PNG ({width * height / 1e6:.1f} MP, {size / 1e3:.0f} kB) through the server; "
          f"this machine has {machine_memory() / 2**30:.1f} GiB; medians of {args.repeats} runs, MB above the server "
          "with its two models loaded")
    print(f"{'step':28s} {'held after':>11s} {'peak during':>12s}")
    for step in STEPS:
        held = statistics.median(run[step][0] for run in runs) / 1e6
        peak = statistics.median(run[step][1] for run in runs) / 1e6
        print(f"{step:28s} {held:9.0f} MB {peak:9.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
