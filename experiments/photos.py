"""Colour on real photographs: every colorizer on whole photos at their own size, against the gray
baseline, across the vividness control.

For each model: its default vividness is chosen on BSDS500 val (100 photos; the most vivid setting
whose mean PSNR is still at least the gray baseline's); then BSDS500 test (200 whole photos at
481 x 321) and Tiny ImageNet val (64 x 64) are measured at that setting. Writes into README-assets/:
photo-results.md (tables), photo-results-*.csv (and per photo), photo-results.json, photo-frontier.png
(PSNR against colourfulness as vividness moves), photos.png (gray | each model | original on
scikit-image's photos and four BSDS500 test photos) and photos.md.

Run:   python experiments/photos.py --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --bsds500 ../shared/data/bsds500
Quick: add --limit 20 --out runs/photos-quick
Time:  about 30 minutes on a 2-core CPU for three models.
"""

import sys

from colorize_cnn.photos import PhotoReportConfig, main

CONFIG = PhotoReportConfig(
    models=(
        ("U-Net, two heads, Tiny ImageNet (default)", "unet_photo"),
        ("U-Net, classification, CIFAR-10 (old default)", "unet_classification"),
        ("U-Net, L1 regression, CIFAR-10", "unet_regression"),
    ),
    figure_test_photos=("100007.jpg", "108004.jpg", "14085.jpg", "35049.jpg"),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
