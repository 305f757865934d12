"""Can each photo's overall colour be read off the photo model? A linear read-out (ridge
regression) of the truth's mean a*, b* from the network's global features, fitted on Tiny ImageNet
training images the model never saw (from the full data set), checked on others and on BSDS500,
against the network's own mean and gray world (``colorize_cnn.reports.balance_probe``). Writes
README-assets/balance-probe.md and .json.

Run:   python experiments/balance_probe.py --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --held-out-from PATH/tiny-imagenet-200.zip --bsds500 ../shared/data/bsds500
Quick: add --images 200 --out runs/balance-probe-quick
Time:  about 4 minutes on a 2-core CPU.
"""

import sys

from colorize_cnn.reports.balance_probe import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], alphas=(10.0, 100.0, 1000.0), bsds_weight=20.0, images=20000))
