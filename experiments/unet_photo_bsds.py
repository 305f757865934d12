"""The photo colorizer fine-tuned on whole photographs (BSDS500 train), seen at the scale the
command line sees a photo.

Tiny ImageNet's 64 x 64 images are mostly one object filling the frame; a photograph colorized
through ``colorize`` is a whole scene shrunk to 64 px on its long side. Here the bundled photo
model (``initial_model="unet_photo"``, trained on the Tiny ImageNet subset) goes on training on a
folder of whole photos, each scaled so its shorter side is 64 px and cut to a random 64 x 64 square
(``pipeline.photo_batches``; 10% of the files, by a hash of their names, held out for the validation
loss), at a tenth of the photo model's learning rate, both heads as before. Its decoding is chosen
where it has seen nothing: BSDS500 val (--choose-on) and, in experiments/photo_candidates.py,
Tiny ImageNet training images outside the subset.

Run:   python experiments/unet_photo_bsds.py --data ../shared/data/bsds500/train \
           --choose-on ../shared/data/bsds500/val --assets runs/unet_photo_bsds/assets
Quick: python experiments/unet_photo_bsds.py --data PATH --limit 40 --epochs 1
Time:  about 5 minutes on a 2-core CPU (180 photos, 40 epochs).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_photo_bsds",
    figure_prefix="unet-photo-bsds",
    title="U-Net, two heads, Tiny ImageNet, then whole photos (BSDS500 train)",
    dataset="photo_folder",
    train=TrainConfig(
        model_name="unet_photo",
        model_kwargs=(("base_filters", 24),),  # the bundled photo model's width: its weights carry over
        initial_model="unet_photo",
        epochs=40,  # 180 photos: 6 batches an epoch, about 7,200 random crops in all
        batch_size=32,
        learning_rate=2e-4,  # a tenth of the photo model's: adapt it, do not start again
        learning_rate_schedule="cosine",
        rebalance_mix=0.5,  # as the photo model
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
