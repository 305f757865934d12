"""The default's recipe (experiments/unet_photo_mix.py at 3:1: the previous photo model fine-tuned
on the Tiny ImageNet subset and BSDS500 train in one stream) with an auxiliary classification loss: a
training-only head on the U-Net's bottleneck (global average pooling, a softmax over Tiny ImageNet's
200 classes; ``models.with_class_head``) learns each Tiny ImageNet crop's class beside its colour
(Iizuka, Simo-Serra et al. 2016: semantics for the colour). BSDS500's photos have no class and do
not count in that loss. The saved model is the colorizer alone, the head left behind. Everything
else is the default's, so the difference from it is the loss (issue 31, step 2).

Run:   python experiments/unet_photo_mix_classes.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           ../shared/data/bsds500/train --choose-on ../shared/data/bsds500/val --assets runs/unet_photo_mix_classes/assets
Quick: add --limit 40 --epochs 1 --steps-per-epoch 4 --out runs/unet_photo_mix_classes-quick
Time:  about 15 minutes on a 2-core CPU (40,000 crops; resumable after each epoch), then its evaluation.
"""

import dataclasses
import sys

from colorize_cnn.reports.experiment import main
from unet_photo_mix import CONFIG as MIX  # the default's recipe (the script's folder)

CONFIG = dataclasses.replace(
    MIX,
    name="unet_photo_mix_classes",
    figure_prefix="unet-photo-mix-classes",
    title="U-Net, two heads, Tiny ImageNet and whole photos mixed, with an auxiliary class loss",
    dataset_weights=(0.75, 0.25),  # the default's mix (unet_photo_mix.py run with --dataset-weights 0.75 0.25)
    train=dataclasses.replace(
        MIX.train,
        class_loss_weight=0.1,  # the class loss starts at ln 200 = 5.3, the colour losses' sum at about 4
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
