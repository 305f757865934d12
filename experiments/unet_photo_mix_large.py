"""The bundled default: a larger photo colorizer, the previous default's recipe (experiments/unet_photo_mix.py
at 3:1, the photo model unet_photo fine-tuned on the Tiny ImageNet subset and BSDS500 train in one stream) on the
network grown by two residual dilated blocks at its bottleneck (``build_unet_photo(dilated_blocks=2)``,
dilations 2 and 4: 1.3 M weights more, 2.4 M in all, and about a quarter more multiply-adds a pixel, counted, not timed). The
blocks start as the identity, so the run starts from the same function as the previous default's did and only
the size differs (issue 31, step 2: a larger network if the CPU budget allows it). Each pixel's
colour can then depend on the image up to about 200 px away at the working size of 64 px: the whole
photo. It won on the validation sets by about 0.03 dB at the same decoding (docs/photos.md).

Run:   python experiments/unet_photo_mix_large.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           ../shared/data/bsds500/train --choose-on ../shared/data/bsds500/val --assets runs/unet_photo_mix_large/assets
Quick: add --limit 40 --epochs 1 --steps-per-epoch 4 --out runs/unet_photo_mix_large-quick
Time:  23 minutes of training on a 2-core CPU (40,000 crops; resumable after each epoch), then its evaluation.
"""

import dataclasses
import sys

from colorize_cnn.reports.experiment import main
from unet_photo_mix import CONFIG as MIX  # the default's recipe (the script's folder)

CONFIG = dataclasses.replace(
    MIX,
    name="unet_photo_mix_large",
    figure_prefix="unet-photo-mix-large",
    title="U-Net, two heads, grown by two dilated blocks, Tiny ImageNet and whole photos mixed",
    dataset_weights=(0.75, 0.25),  # the previous default's mix (unet_photo_mix.py run with --dataset-weights 0.75 0.25)
    train=dataclasses.replace(
        MIX.train,
        model_kwargs=(("base_filters", 24), ("dilated_blocks", 2)),  # the previous default's width, two blocks more
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
