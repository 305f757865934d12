"""Chroma upsampling apart from any model: how much each way of bringing chroma from the network's
small grid to full size loses on real photos, and how much colour it bleeds across edges.

Each BSDS500 photo's true chroma is shrunk to the default model's chroma grid (longest side 32),
brought back by bilinear, bicubic, the fast guided filter and joint bilateral upsampling, and
joined to the photo's true lightness. BSDS500 val chooses the joint bilateral filter's sigma
(``colorize_cnn.color.BILATERAL_SIGMA``); test reports every method at the defaults. Writes
README-assets/chroma-upsampling.md, .json and .png (gray | bilinear | joint bilateral | original
on crops of three val photos).

Run:   python experiments/chroma_upsampling.py --bsds500 ../shared/data/bsds500
Quick: add --limit 5 --out runs/chroma-upsampling-quick
Time:  about 3 minutes on a 2-core CPU.
"""

import sys

from colorize_cnn.reports.upsampling import upsampling_main

SIGMAS = (5.0, 10.0, 20.0, 40.0)  # joint bilateral candidates compared on val (L units)
FIGURE_PHOTOS = ("101085.jpg", "108070.jpg", "147091.jpg")  # BSDS500 val photos in the figure (fixed once)

if __name__ == "__main__":
    sys.exit(upsampling_main(SIGMAS, FIGURE_PHOTOS, sys.argv[1:]))
