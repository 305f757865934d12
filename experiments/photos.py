"""Colour on real photographs: every colorizer on whole photos at their own size, against the gray
baseline, across the vividness control.

For each model: its default vividness and balance are chosen together on BSDS500 val, BSDS500
train (100 and 200 photos; the default trained on the second, so it is chosen on the others) and,
given the full Tiny ImageNet (--held-out-from), on 1,000 of its training images that are not in the
subset the photo models trained on: the most colourful setting whose mean PSNR is at least the gray
baseline's and which leaves at most 5% of the photos more than 3 dB below gray, on every set; if
none does, the best mean over the sets of PSNR above gray. The previous default is measured beside
the new one. Then
BSDS500 test (200 whole photos at 481 x 321; its near-neutral photos apart) and Tiny ImageNet val
(64 x 64) are measured at that setting: PSNR, SSIM, AuC, colourfulness, and the cast (mean a*, b*
of the output minus the truth's) and harm (photos more than 1 and 3 dB below gray; the worst 10%).
A probe on the validation photos moves each output's mean a* and b* to the truth's: how much of
the loss is the overall colour balance. Writes into README-assets/: photo-results.md (tables),
photo-results-*.csv (and per photo), photo-results.json, photo-frontier.png (PSNR against
colourfulness as vividness moves), photos.png (gray | each model | original on scikit-image's
photos, four BSDS500 test photos and the three BSDS500 val photos with the least colour) and photos.md.
--bundle-choices also records each bundled model's chosen vividness and balance beside its weights;
--reuse-choices measures each model at the choice recorded there instead of choosing again (with
--bundle-choices: a model without one is chosen and recorded).

Run:   python experiments/photos.py --tiny-imagenet ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --bsds500 ../shared/data/bsds500 --held-out-from PATH/tiny-imagenet-200.zip --bundle-choices
Quick: add --limit 20 --out runs/photos-quick
Time:  73 minutes on a 2-core CPU for four models (each scored at 30 decodings on 2-3 sets).
"""

import sys

from colorize_cnn.reports.photo_report import PhotoReportConfig, main

CONFIG = PhotoReportConfig(
    models=(
        ("U-Net, two heads, larger, Tiny ImageNet + BSDS500 train (default)", "unet_photo_mix_large",
         {"trained_on": ("BSDS500 train",)}),
        ("U-Net, two heads, Tiny ImageNet + BSDS500 train (previous default)", "unet_photo_mix",
         {"trained_on": ("BSDS500 train",)}),
        ("U-Net, classification, CIFAR-10 (old default)", "unet_classification"),
        ("U-Net, L1 regression, CIFAR-10", "unet_regression"),
    ),
    figure_test_photos=("100007.jpg", "108004.jpg", "14085.jpg", "35049.jpg"),
    figure_neutral_photos=3,  # BSDS500 val photos with the least colour (snow, stone, water, overcast sky)
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
