"""The photo colorizer: a U-Net with two heads (ab bins and ab regression) trained on Tiny ImageNet.

It learns from photographs instead of 32 x 32 CIFAR-10: 64 x 64 crops of everyday scenes,
animals, people and objects, flipped at random. One network, two heads on its features (Zhang et
al. 2017): a softmax over the 484 ab bins trained with rebalanced cross-entropy (vivid), and ab
regression trained with L1 (safe). The vividness control blends them at colorization time; its
default is chosen on validation photos (--choose-on, e.g. BSDS500 val and train: the most vivid
setting that keeps the mean PSNR at least gray's and at most 5% of the photos more than 3 dB below
gray on each), else on training images. Chroma is predicted at half resolution (photos store it so).

Run:   python experiments/unet_photo.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --choose-on ../shared/data/bsds500/val ../shared/data/bsds500/train
Quick: python experiments/unet_photo.py --data PATH --limit 400 --epochs 1
Time:  about an hour on a 2-core CPU (4 epochs of 50,000 images at about 60 images/s).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_photo",
    figure_prefix="unet-photo",
    title="U-Net, two heads, Tiny ImageNet",
    dataset="tiny_imagenet",
    train=TrainConfig(
        model_name="unet_photo",
        model_kwargs=(("base_filters", 24),),  # 1.1M parameters: 41 img/s here, against 62 for 16 and 39 for 32
        epochs=4,
        batch_size=32,
        learning_rate=2e-3,
        learning_rate_schedule="cosine",  # a short run ends at a low learning rate
        rebalance_mix=0.5,  # Zhang et al. 2016
        validation_images=2000,
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
