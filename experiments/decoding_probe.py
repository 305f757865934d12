"""Colour where the model is confident, or a correction of the training prior: decodings beside the
vividness knob, scored against it at equal harm on BSDS500 val and 1,000 Tiny ImageNet training
images that the photo models never saw (``colorize_cnn.reports.decoding_probe``). Writes
README-assets/decoding-probe.md and .json.

Run:   python experiments/decoding_probe.py --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --held-out-from PATH/tiny-imagenet-200 --bsds500 ../shared/data/bsds500
Quick: add --limit 10 --images 50 --out runs/decoding-probe-quick
Time:  about 10 minutes on a 2-core CPU.
"""

import sys

from colorize_cnn.reports.decoding_probe import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
