"""Interactive hints on a large photo: what a user waits for after each click.

A photo of ``--megapixels`` (scikit-image's astronaut, a real colour photograph, resized) is opened
once in a ``ColorizeSession`` (reading aside: the full-size lightness, the network's input, the
preview's lightness). Then, for each of ``--repeats`` clicks, one more hint is added and the result
is made again:

* hint -> preview: one more hint to the preview of about 1 megapixel (``ColorizeSession.preview``);
* hint -> full size: one more hint to the full-size result (``ColorizeSession.render``);
* suggest: the suggested colours at a point (``ColorizeSession.suggest_colours``);
* colorize(): the one-shot path with the same hints, for comparison (it redoes everything).

Medians over the clicks, beside "1 pass": the time to stream the full-size float32 lightness and
the uint8 RGB output once (7 bytes a pixel) at this machine's memory bandwidth, measured in the same
run: the floor for anything that touches every pixel. Targets (issue "Colour where the user
points"): <= 150 ms to the preview and <= 1 s to the full size for 12 MP.

Run:  python benchmarks/hint_latency.py [--megapixels 12] [--repeats 7]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from colorize_sizes import memory_bandwidth, photo  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--repeats", type=int, default=7, help="clicks (one more hint each); default: %(default)s")
    parser.add_argument("--model", default="unet_hints")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    from colorize_cnn import color
    from colorize_cnn.colorize import ColorizeSession, colorize, load_colorizer

    colorizer = load_colorizer(args.model)
    width = round((args.megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(args.megapixels * 1e6 / width)
    gray = color.gray_from_rgb8(photo(height, width))
    colorize(gray[:64, :64], colorizer)  # warm-up: the network's first call
    started = time.perf_counter()
    session = ColorizeSession(gray, colorizer)
    open_seconds = time.perf_counter() - started
    rng = np.random.default_rng(0)
    hints, timings = [], {"hint -> preview": [], "hint -> full size": [], "suggest": [], "colorize()": []}
    session.preview()
    for _ in range(args.repeats):
        x, y = float(rng.uniform(0, width)), float(rng.uniform(0, height))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        hints = hints + [(x, y, colour)]
        for name, call in (("hint -> preview", lambda: session.preview(hints)),
                           ("hint -> full size", lambda: session.render(hints + [(0, 0, "#808080")])),
                           ("suggest", lambda: session.suggest_colours(x, y, 8, hints)),
                           ("colorize()", lambda: colorize(gray, colorizer, hints=hints))):
            begun = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - begun)
    pass_seconds = 7 * gray.size / memory_bandwidth(3)
    print(f"{width}x{height} ({gray.size / 1e6:.1f} MP), preview {session.preview_shape[1]}x{session.preview_shape[0]}, "
          f"{args.repeats} clicks, {os.cpu_count()} cores; open the photo (once): {open_seconds * 1000:.0f} ms; "
          f"1 pass over the full size: {pass_seconds * 1000:.1f} ms")
    print(f"{'step':<20}{'median ms':>10}{'min ms':>8}{'max ms':>8}{'passes':>8}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<20}{median * 1000:>10.0f}{min(values) * 1000:>8.0f}{max(values) * 1000:>8.0f}"
              f"{median / pass_seconds:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
