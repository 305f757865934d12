"""Time and peak memory of colorizing one gray image as it grows: 0.25, 1, 4, 12 and 50 megapixels.

Each size runs in a fresh process, so its peak resident memory is its own; the table shows the
peak above the process's level after loading the model and colorizing a small warm-up image
(TensorFlow's own footprint), and the median time of several runs.

Run:  python benchmarks/colorize_sizes.py [--model default] [--repeats 3]
Time: about 3 minutes on a 2-core CPU.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def measure_one(megapixels, model, repeats):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    from colorize_cnn.colorize import colorize, load_colorizer

    colorizer = load_colorizer(model)
    colorize(np.zeros((64, 64), dtype=np.uint8), colorizer)
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    height = int(round(megapixels * 1e6 / width))
    y, x = np.ogrid[0:height, 0:width]
    gray = ((x * 7 + y * 3) % 256).astype(np.uint8)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        rgb = colorize(gray, colorizer)
        seconds.append(time.perf_counter() - started)
        assert rgb.shape == (height, width, 3)
        del rgb
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"megapixels": height * width / 1e6, "size": f"{width}x{height}", "seconds": seconds,
            "extra_peak_mb": (peak_kb - baseline_kb) / 1024, "baseline_mb": baseline_kb / 1024}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1, 4, 12, 50], help="megapixels")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.model, args.repeats)))
        return 0
    print(f"{'MP':>6} {'size':>12} {'median s':>9} {'s / MP':>7} {'peak MB':>8} {'B / px':>7}   (peak above the "
          f"process after loading the model; median of {args.repeats})")
    for megapixels in args.sizes:
        command = [sys.executable, __file__, "--one", str(megapixels), "--model", args.model, "--repeats", str(args.repeats)]
        result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        median = statistics.median(result["seconds"])
        print(f"{result['megapixels']:6.2f} {result['size']:>12} {median:9.2f} {median / result['megapixels']:7.2f} "
              f"{result['extra_peak_mb']:8.0f} {result['extra_peak_mb'] * 2**20 / (result['megapixels'] * 1e6):7.1f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
