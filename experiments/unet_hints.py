"""Hints: the photo colorizer told the colours at a few points (Zhang, Zhu et al. 2017).

The photo U-Net whose input is the gray image joined to hint planes (a*, b*, mask at the working
size; ``colorize_cnn.hints``), fine-tuned from the bundled photo model (its new input channels start
at zero, so it starts as the automatic model) on Tiny ImageNet with hints simulated from each
training crop's true colours the paper's way: a geometric number of points (p = 1/8: one crop in
eight has none), square patches whose mean ab is the hint, 1 to 3 px at 64 px (the paper's 1 to 9
px at 176 px, scaled), centred with a spread of a quarter of the side. Both heads are trained as
for the automatic model, so hinted colours reach the safe (regression) head and the bin head
whose distribution ``suggest_colours`` shows.

Run:   python experiments/unet_hints.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --choose-on ../shared/data/bsds500/val ../shared/data/bsds500/train
Quick: python experiments/unet_hints.py --data PATH --limit 400 --epochs 1
Time:  about 40 minutes an epoch of 50,000 crops on a 2-core CPU (resumable after each epoch).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_hints",
    figure_prefix="unet-hints",
    title="U-Net with hints, fine-tuned from the photo model, Tiny ImageNet",
    dataset="tiny_imagenet",
    train=TrainConfig(
        model_name="unet_hints",
        model_kwargs=(("base_filters", 24),),  # the bundled photo model's width: its weights carry over
        initial_model="unet_photo",
        epochs=2,
        batch_size=32,
        learning_rate=2e-3,  # best of 3e-4, 1e-3, 2e-3 on BSDS500 val at 0-10 hints (experiments/hint_recipes.py)
        learning_rate_schedule="cosine",
        rebalance_mix=0.5,  # as the photo model
        validation_images=2000,
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
