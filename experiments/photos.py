"""Colorize photographs that ship with scikit-image (astronaut, coffee, chelsea, rocket) at their
own size with the two bundled fully convolutional models, and
write README-assets/photos.png (gray | each model | original) plus a table of what holds: size,
lightness, colourfulness.

Run:  python experiments/photos.py
Time: about 20 seconds on a 2-core CPU.
"""

import sys

from colorize_cnn.compare import markdown_table, write_text
from colorize_cnn.experiment import README_ASSETS
from colorize_cnn.photos import photo_demo, working_size_sweep

MODELS = {
    "default (U-Net, classification)": "default",
    "U-Net, L1 regression (bundled)": "unet_regression",
}

if __name__ == "__main__":
    rows = photo_demo(MODELS, README_ASSETS / "photos.png")
    sweep = markdown_table(working_size_sweep("default"))
    table = markdown_table(rows) + "\nThe default model at other working sizes (mean over the same photos):\n\n" + sweep
    write_text("Produced by experiments/photos.py\n\n" + table, README_ASSETS / "photos.md")
    print(table)
    sys.exit(0)
