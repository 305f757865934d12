"""Colorizing one photo as it grows (0.25 to 50 megapixels): time of each stage, peak memory, this
machine's memory bandwidth beside them, folder throughput, and the command line's wall time.

The photo is scikit-image's astronaut (a real colour photograph that ships with scikit-image),
resized to each size and saved as a colour JPEG. Each size and runtime (``--runtimes``: ONNX Runtime,
what colorizing runs on by default, and Keras) runs in a fresh process, so its peak resident memory
is its own. Per size and runtime:

* start: the imports, ``load_colorizer`` and a first 64 x 64 ``colorize()``, once (a fresh process);

and medians of ``--repeats`` runs, model loaded, of:

* read: ``images.read_gray`` of the JPEG (decode + the colour-to-gray conversion);
* predict: the network on the working-size copy (``Colorizer.predict_ab``);
* upsample: the chroma brought to full size alone (``color.chroma_upsampler``, bands on every core);
* recombine: ``color.recombine`` (upsampling + Lab -> sRGB + gamut, the way ``colorize`` runs it);
* colorize: the whole ``colorize()`` call on the gray array; its peak memory above the process after
  loading the model and a warm-up (the runtime's own footprint), in MB and bytes per pixel;
* write: JPEG (quality 95) and PNG (zlib level 3, the default) of the result.

"1 pass" is the time to stream a float32 plane and the uint8 RGB output once (7 bytes a pixel)
at the memory bandwidth measured in the same process (a large NumPy copy, on every core): the
floor for anything that touches every pixel.

The folder and PNG-level runs use the first runtime; the command line's wall time is measured on each.

Run:  python benchmarks/colorize_sizes.py [--model default] [--repeats 3] [--runtimes onnx keras]
Time: about 10 minutes on a 2-core CPU.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def memory_bandwidth(repeats, megabytes=256):
    """Bytes per second moved by a NumPy copy of ``megabytes`` (read + write), split across every core."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    source = np.ones(megabytes * 2**20, dtype=np.uint8)
    target = np.empty_like(source)
    parts = os.cpu_count() or 1
    bounds = np.linspace(0, source.size, parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        def copy():
            list(pool.map(lambda i: np.copyto(target[bounds[i]:bounds[i + 1]], source[bounds[i]:bounds[i + 1]]),
                          range(parts)))
        copy()
        return 2 * source.nbytes / median_seconds(copy, repeats)


def photo(height, width):
    """scikit-image's astronaut, resized to ``(height, width)``: uint8 RGB."""
    import numpy as np
    from PIL import Image
    from skimage import data

    return np.asarray(Image.fromarray(data.astronaut()).resize((width, height), Image.Resampling.BICUBIC))


def measure_one(megapixels, model, runtime, repeats, folder):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    started = time.perf_counter()
    import numpy as np
    from PIL import Image

    from colorize_cnn import color
    from colorize_cnn.colorize import colorize, load_colorizer
    from colorize_cnn.images import Encoding, read_gray, write_rgb

    colorizer = load_colorizer(model, runtime)
    colorize(np.zeros((64, 64), dtype=np.uint8), colorizer)
    start_seconds = time.perf_counter() - started
    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(megapixels * 1e6 / width)
    # peak memory first, before anything else grows the process: the gray photo is built in bands
    # (1 byte a pixel, counted), and colorize() runs once
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tile = color.gray_from_rgb8(photo(512, 512))
    gray = np.empty((height, width), dtype=np.uint8)
    for start in range(0, height, 512):
        band = gray[start:start + 512]
        band[:] = np.tile(tile[: len(band)], (1, -(-width // 512)))[:, :width]
    colorize(gray, colorizer)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bandwidth = memory_bandwidth(repeats)
    source = Path(folder) / f"photo-{megapixels}.jpg"
    Image.fromarray(photo(height, width)).save(source, quality=92)
    gray = read_gray(source).pixels
    seconds = {"read": median_seconds(lambda: read_gray(source), repeats)}
    ab = colorizer.predict_ab(gray.astype(np.float32) / 255.0)
    seconds["predict"] = median_seconds(lambda: colorizer.predict_ab(gray.astype(np.float32) / 255.0), repeats)
    lightness = color.gray_to_lightness(gray)

    def upsample():
        color.for_each_band(height, width, color.chroma_upsampler(lightness, ab))

    seconds["upsample"] = median_seconds(upsample, repeats)
    seconds["recombine"] = median_seconds(lambda: color.recombine(lightness, ab, np.uint8), repeats)
    del lightness
    seconds["colorize"] = median_seconds(lambda: colorize(gray, colorizer), repeats)
    rgb = colorize(gray, colorizer)
    for name, path in (("write JPEG", "out.jpg"), ("write PNG", "out.png")):
        target = Path(folder) / path
        seconds[name] = median_seconds(lambda target=target: write_rgb(rgb, target, overwrite=True, encoding=Encoding()),
                                       repeats)
    seconds["start"] = start_seconds
    return {"megapixels": height * width / 1e6, "size": f"{width}x{height}", "seconds": seconds,
            "pass_seconds": 7 * height * width / bandwidth, "bandwidth": bandwidth,
            "extra_peak_mb": (peak_kb - baseline_kb) / 1024}


def folder_throughput(model, runtime, repeats, folder, count=16, megapixels=1.0):
    """Images per second through ``colorize_files`` (read ahead, write behind) and through a plain
    loop of read, colorize, write, on ``count`` 1 MP colour JPEGs written to PNG."""
    import numpy as np
    from PIL import Image

    from colorize_cnn.colorize import colorize, colorize_files, load_colorizer
    from colorize_cnn.images import read_gray, write_rgb

    colorizer = load_colorizer(model, runtime)
    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(megapixels * 1e6 / width)
    base = photo(height, width)
    jobs = []
    for index in range(count):  # different crops-and-flips, so no two files are the same
        picture = np.roll(base, index * 37, axis=1)[:, ::(-1) ** index]
        path = Path(folder) / f"in-{index}.jpg"
        Image.fromarray(picture).save(path, quality=92)
        jobs.append((path, Path(folder) / f"in-{index}-color.png"))

    def pipelined():
        for _, _, result, _ in colorize_files(jobs, colorizer, overwrite=True):
            assert not isinstance(result, BaseException), result

    def plain():
        for source, target in jobs:
            write_rgb(colorize(read_gray(source).pixels, colorizer), target, overwrite=True)

    pipelined()
    return {"pipelined": count / median_seconds(pipelined, repeats), "plain": count / median_seconds(plain, repeats),
            "count": count, "size": f"{width}x{height}"}


def png_levels(model, runtime, repeats, megapixels, levels=(0, 1, 3, 6, 9)):
    """{level: (median seconds, megabytes)} of writing the colorized photo as PNG at each zlib level."""
    import io

    from PIL import Image

    from colorize_cnn import color
    from colorize_cnn.colorize import colorize, load_colorizer

    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(megapixels * 1e6 / width)
    image = Image.fromarray(colorize(color.gray_from_rgb8(photo(height, width)), load_colorizer(model, runtime)))
    sizes = {}
    for level in levels:
        buffer = io.BytesIO()
        seconds = median_seconds(lambda level=level: image.save(io.BytesIO(), "PNG", compress_level=level), repeats)
        image.save(buffer, "PNG", compress_level=level)
        sizes[level] = (seconds, buffer.tell() / 1e6)
    return sizes


def command_line_seconds(megapixels, model, runtime, repeats, folder):
    """Wall seconds of ``colorize-cnn photo.jpg -o out.jpg --runtime RUNTIME`` (start-up included),
    median of ``repeats``."""
    from PIL import Image

    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(megapixels * 1e6 / width)
    source, target = Path(folder) / "cli.jpg", Path(folder) / "cli-out.jpg"
    Image.fromarray(photo(height, width)).save(source, quality=92)
    command = [sys.executable, "-m", "colorize_cnn", str(source), "-o", str(target), "--overwrite", "--runtime", runtime]
    if model != "default":
        command += ["--model", model]
    return median_seconds(lambda: subprocess.run(command, check=True, capture_output=True), repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--runtimes", nargs="+", default=["onnx", "keras"], choices=["onnx", "keras"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1, 4, 12, 50], help="megapixels")
    parser.add_argument("--folder-images", type=int, default=16, help="1 MP photos in the folder run")
    parser.add_argument("--cli-megapixels", type=float, default=12, help="photo size of the command-line run")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--runtime", help=argparse.SUPPRESS)  # of --one
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        if args.one is not None:
            print(json.dumps(measure_one(args.one, args.model, args.runtime, args.repeats, folder)))
            return 0
        stages = ("start", "read", "predict", "upsample", "recombine", "colorize", "write JPEG", "write PNG")
        print(f"Median of {args.repeats} runs, seconds (start: once, in a fresh process); peak: colorize()'s memory "
              "above the loaded model.")
        print(f"{'MP':>6} {'size':>11} {'runtime':>7} " + " ".join(f"{stage:>10}" for stage in stages)
              + f" {'1 pass':>7} {'s/MP':>6} {'peak MB':>8} {'B/px':>5} {'GB/s':>5}")
        for megapixels in args.sizes:
            for runtime in args.runtimes:
                command = [sys.executable, __file__, "--one", str(megapixels), "--model", args.model,
                           "--runtime", runtime, "--repeats", str(args.repeats)]
                output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                result = json.loads(output.strip().splitlines()[-1])
                times = result["seconds"]
                print(f"{result['megapixels']:6.2f} {result['size']:>11} {runtime:>7} "
                      + " ".join(f"{times[s]:10.3f}" for s in stages)
                      + f" {result['pass_seconds']:7.3f} {times['colorize'] / result['megapixels']:6.3f}"
                      + f" {result['extra_peak_mb']:8.0f}"
                      + f" {result['extra_peak_mb'] * 2**20 / (result['megapixels'] * 1e6):5.1f}"
                      + f" {result['bandwidth'] / 1e9:5.1f}", flush=True)
        first = args.runtimes[0]
        rates = folder_throughput(args.model, first, args.repeats, folder, count=args.folder_images)
        print(f"Folder of {rates['count']} colour JPEGs ({rates['size']}) to PNG, {first}: {rates['pipelined']:.2f} images/s "
              f"with colorize_files (read ahead, write behind), {rates['plain']:.2f} images/s read-colorize-write in turn.")
        levels = png_levels(args.model, first, args.repeats, args.cli_megapixels)
        print(f"PNG zlib level on the {args.cli_megapixels:g} MP result: " + ", ".join(
            f"{level}: {seconds:.2f} s {megabytes:.1f} MB" for level, (seconds, megabytes) in levels.items()))
        for runtime in args.runtimes:
            wall = command_line_seconds(args.cli_megapixels, args.model, runtime, args.repeats, folder)
            print(f"colorize-cnn photo.jpg -o out.jpg --runtime {runtime} on a {args.cli_megapixels:g} MP colour JPEG: "
                  f"{wall:.2f} s wall, start-up included (median of {args.repeats}).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
