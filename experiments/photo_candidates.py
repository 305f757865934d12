"""Candidates for a new default photo model, measured as experiments/photos.py measures the
bundled ones (whole photos at their own size against the gray baseline; cast and harm).

- the bundled default (the photo recipe on the 50,000-image Tiny ImageNet subset) at its bundled
  decoding;
- the same recipe on the full Tiny ImageNet (97,831 colour training images; experiments/unet_photo.py
  --data tiny-imagenet-200.zip --out runs/unet_photo_full), at the decoding its run chose on BSDS500
  val and train (it trained on every Tiny ImageNet training image, so none is held out for it);
- the bundled default fine-tuned on the whole photos of BSDS500 train (experiments/unet_photo_bsds.py),
  at the decoding this script chose for it on BSDS500 val and the Tiny ImageNet training images
  outside the subset (it trained on BSDS500 train) when it first ran (commit 173f75f's
  README-assets/photo-candidates/photo-decoding.md): fixed here, not scored again;
- the bundled default fine-tuned on the subset and BSDS500 train mixed in one stream
  (experiments/unet_photo_mix.py), half the crops from each, and a quarter from BSDS500 train
  (--dataset-weights 0.75 0.25 --out runs/unet_photo_mix-tiny75): decodings chosen here as for the
  previous one.

A candidate replaces the default only if it is better on those validation sets; BSDS500 test and
Tiny ImageNet val are reported, never chosen on.

Run:   python experiments/photo_candidates.py --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --bsds500 ../shared/data/bsds500 --held-out-from PATH/tiny-imagenet-200.zip
Time:  about 40 minutes on a 2-core CPU, after the training runs.
"""

import sys

from colorize_cnn.reports.photo_report import PhotoReportConfig, main

CONFIG = PhotoReportConfig(
    models=(
        ("Tiny ImageNet subset (the default)", "unet_photo", {"vividness": 0.0, "balance": 0.25}),  # as bundled
        ("full Tiny ImageNet", "runs/unet_photo_full/model.keras",
         {"vividness": 0.0, "balance": 0.75, "trained_on": ("Tiny ImageNet",)}),  # runs/unet_photo_full/model.json
        ("subset, then BSDS500 train photos", "runs/unet_photo_bsds/model.keras",
         {"vividness": 0.0, "balance": 0.25, "trained_on": ("BSDS500 train",)}),  # chosen here before (docstring)
        ("subset, then subset + BSDS500 train (1:1)", "runs/unet_photo_mix/model.keras",
         {"trained_on": ("BSDS500 train",)}),
        ("subset, then subset + BSDS500 train (3:1)", "runs/unet_photo_mix-tiny75/model.keras",
         {"trained_on": ("BSDS500 train",)}),
    ),
    figure_test_photos=("100007.jpg", "108004.jpg", "14085.jpg", "35049.jpg"),  # as experiments/photos.py
    figure_neutral_photos=3,
    script="experiments/photo_candidates.py",
    out="README-assets/photo-candidates",
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
