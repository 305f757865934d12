"""Hints, measured: the hint model with 0, 1, 2, 5, 10, 20 and 50 hints drawn from the truth by a
fixed, seeded protocol (``colorize_cnn.reports.hint_report``; the hint files are saved under
runs/hints/hint-files, and a re-run uses them), on BSDS500 test (whole photos at their own size,
through ``colorize``) and 1,000 class-balanced Tiny ImageNet val images, next to the gray baseline
and the automatic model; how far one hint spreads, on BSDS500 test's human segmentations; the
figures of the README's "Hints" section.

Run:   python experiments/hints.py --bsds500 ../shared/data/bsds500 \
           --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip
Quick: add --limit 10 --tiny-images 50 --out runs/hints-quick
Time:  about 15 minutes on a 2-core CPU.
"""

import sys

from colorize_cnn.reports.hint_report import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
