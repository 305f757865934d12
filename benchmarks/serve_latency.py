"""The web page, timed by the page itself in a real headless Chromium: from a click (a new hint)
to the updated preview on screen, and the full-size PNG download, for photos of 1 and 12
megapixels; and the server's memory per open photo.

The photo is scikit-image's astronaut (a real colour photograph), resized and saved as a JPEG. The
server runs in this process with the bundled models (``colorize_cnn.app.serve.Server`` on 127.0.0.1),
the browser is Debian's chromium driven by Selenium (the test extra), with a 1280 x 800 window; the
page asks for previews of its screen's size (headless Chromium reports an 800 x 600 screen). Each click adds one hint at a random point and is timed by the page
(``window.colorizeTimings``: change -> request -> PNG decoded -> drawn); medians over ``--clicks``.
Memory: this process's resident size (``/proc/self/statm``) after opening ``--photos`` more copies
of the photo, per photo.

Run:  python benchmarks/serve_latency.py [--megapixels 1 12] [--clicks 9]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from colorize_sizes import photo  # noqa: E402


def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, nargs="+", default=[1.0, 12.0])
    parser.add_argument("--clicks", type=int, default=9)
    parser.add_argument("--downloads", type=int, default=3)
    parser.add_argument("--photos", type=int, default=3, help="extra copies opened to measure memory per photo")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from colorize_cnn.colorize import load_colorizer
    from colorize_cnn.app.serve import Server
    from tests.test_serve import chromium_driver, wait_for

    colorizers = {"unet_hints": load_colorizer("unet_hints"), "unet_photo": load_colorizer("unet_photo")}
    server = Server(("127.0.0.1", 0), colorizers, max_upload_mb=200, max_photos=args.photos + 2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp())
    driver = chromium_driver(folder)
    rng = np.random.default_rng(0)
    print(f"{os.cpu_count()} cores; Chromium window 1280x800; medians over {args.clicks} clicks and "
          f"{args.downloads} downloads")
    print(f"{'photo':<16}{'preview':>10}{'click->preview ms':>19}{'download ms':>13}{'MB/photo':>10}")
    try:
        for megapixels in args.megapixels:
            width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
            height = round(megapixels * 1e6 / width)
            path = folder / f"photo-{megapixels:g}.jpg"
            Image.fromarray(photo(height, width)).save(path, quality=92)
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
            driver.find_element(By.ID, "photo-file").send_keys(str(path))
            wait_for(lambda: driver.execute_script("return window.colorizeTimings.length") >= 1, timeout=300)
            canvas = driver.find_element(By.ID, "view")
            box = canvas.rect
            for click in range(args.clicks):
                count = driver.execute_script("return window.colorizeTimings.length")
                x, y = rng.uniform(0.1, 0.9, 2)
                ActionChains(driver).move_to_element_with_offset(
                    canvas, (x - 0.5) * box["width"], (y - 0.5) * box["height"]).click().perform()
                wait_for(lambda: driver.execute_script("return window.colorizeTimings.length") > count
                         and not driver.execute_script("return state.inFlight"), timeout=120)
                time.sleep(0.2)  # the suggestions request settles before the next click
            clicks = driver.execute_script("return window.colorizeTimings")[1:]
            downloads = []
            for _ in range(args.downloads):
                driver.execute_script("window.lastDownloadMs = null")
                driver.find_element(By.ID, "download-png").click()
                downloads.append(wait_for(lambda: driver.execute_script("return window.lastDownloadMs"), timeout=300))
            preview = driver.execute_script("return [state.photo.preview_width, state.photo.preview_height]")
            before = resident_mb()
            for copy in range(args.photos):  # another name each time: the file input ignores the same file
                other = path.with_name(f"copy-{copy}-{path.name}")
                other.write_bytes(path.read_bytes())
                driver.execute_script("window.colorizeTimings = []")
                driver.find_element(By.ID, "photo-file").send_keys(str(other))
                wait_for(lambda: driver.execute_script("return window.colorizeTimings.length") >= 1, timeout=300)
            per_photo = (resident_mb() - before) / args.photos
            print(f"{f'{width}x{height}':<16}{f'{preview[0]}x{preview[1]}':>10}{statistics.median(clicks):>19.0f}"
                  f"{statistics.median(downloads):>13.0f}{per_photo:>10.0f}", flush=True)
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
