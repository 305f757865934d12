"""Compare every trained model with the gray baseline on the full CIFAR-10 test split.

Loads the models the experiment scripts saved in runs/<name>/model.keras (train them first; this
script trains nothing), evaluates each and the gray baseline with every metric of docs/evaluation.md,
and writes into README-assets/: results.md and results.csv (one row per model), per-class tables,
comparison-grid.png (gray | each model | original on fixed test images across the ten classes),
learning-curves.png and quality-vs-minutes.png (test PSNR after each epoch against training time).

Run:  python experiments/compare.py --data ../shared/data/cifar10-jpeg
Time: about 3 minutes on a 2-core CPU.
"""

import sys

from colorize_cnn.reports.compare import CompareConfig, main

CONFIG = CompareConfig(
    # (experiment name, title), in the README's order
    runs=(
        ("flatten_dense", "flatten -> dense"),
        ("conv_flatten_dense", "conv -> flatten -> dense"),
        ("batchnorm_conv_flatten_dense", "batchnorm -> conv -> flatten -> dense"),
        ("unet_regression", "U-Net, L1 regression"),
        ("unet_classification", "U-Net, ab-bin classification"),
        ("unet_photo", "U-Net, two heads, trained on Tiny ImageNet"),
        ("unet_photo_mix", "U-Net, two heads, then Tiny ImageNet + BSDS500 train (the previous default)"),
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
