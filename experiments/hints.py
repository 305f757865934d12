"""Hints, measured: the hint model with 0, 1, 2, 5, 10, 20 and 50 hints drawn from the truth by a
fixed, seeded protocol (``colorize_cnn.reports.hint_report``; the hint files are saved under
runs/hints/hint-files, and a re-run uses them), on BSDS500 val (where choices are made) and test
(whole photos at their own size, through ``colorize``) and 1,000 class-balanced Tiny ImageNet val
images, next to the gray baseline and the automatic model; on BSDS500 val and test with the human
segmentations, single hints: how far a hint from the truth spreads (and iColoriT's propagation
range), and how much of the way to a colour unlike the truth's one hint takes inside its segment,
in the others and far from it; the figures of the README's "Hints" section.

Run:   python experiments/hints.py --bsds500 ../shared/data/bsds500 \
           --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip
Quick: add --limit 10 --tiny-images 50 --out runs/hints-quick
Time:  about 20 minutes on a 2-core CPU.
"""

import sys

from colorize_cnn.reports.hint_report import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
