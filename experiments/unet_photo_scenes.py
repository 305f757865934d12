"""The automatic colorizer learnt from whole scenes: the default (``unet_photo_mix``) fine-tuned on
the whole-scene photographs the hint model learnt from (experiments/unet_hints_scenes.py: BSDS500
train, Caltech-101 and the ImageNet detection sample ``ajschumacher/imagen``, in ``data/scenes``),
three crops in four, and the Tiny ImageNet subset, one in four. Photos are scaled so their shorter
side is the working size (64) and cut at random, so a crop is most of a scene as the command line
sees it. Same heads and rebalancing as the default; a higher learning rate than its fine-tune
(5e-4 against 2e-4), since the data moved further from what it learnt on.

Data: as experiments/unet_hints_scenes.py (its docstring says how to gather data/scenes, git-ignored).
Run:   python experiments/unet_photo_scenes.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           data/scenes --choose-on ../shared/data/bsds500/val --assets runs/unet_photo_scenes/assets
Quick: add --limit 40 --epochs 1 --steps-per-epoch 4 --out runs/unet_photo_scenes-quick
Time:  about 40 minutes on a 2-core CPU (8 epochs of 16,000 crops; resumable after each epoch:
       run the same command again).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_photo_scenes",
    figure_prefix="unet-photo-scenes",
    title="U-Net, two heads, the default fine-tuned on whole scenes",
    dataset=("tiny_imagenet", "photo_folder"),
    dataset_weights=(0.25, 0.75),  # as the whole-scene hint model
    train=TrainConfig(
        model_name="unet_photo",
        model_kwargs=(("base_filters", 24),),  # the default's width: its weights carry over
        initial_model="unet_photo_mix",
        epochs=8,
        steps_per_epoch=500,  # 16,000 crops an epoch, 128,000 in all
        batch_size=32,
        learning_rate=5e-4,
        learning_rate_schedule="cosine",
        rebalance_mix=0.5,  # as the default
        validation_images=2000,
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
