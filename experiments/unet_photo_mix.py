"""The photo colorizer fine-tuned on two kinds of photo in one training stream: the Tiny ImageNet
subset it learned from, and whole photographs (BSDS500 train) seen at the scale the command line
sees a photo.

Fine-tuned on whole photos alone (experiments/unet_photo_bsds.py), the bundled photo model learned
BSDS500's look: best on BSDS500 val, below gray on Tiny ImageNet images it had not seen. Here each
training crop is drawn from the Tiny ImageNet subset or from BSDS500 train at the weights below
(``load_dataset`` with two names: ``tf.data.Dataset.sample_from_datasets``), so the 180 photos weigh
as much as the 50,000 small images without pushing them out. Same start (``initial_model=
"unet_photo"``), learning rate and heads as the photo-folder fine-tune. Its decoding is chosen on
BSDS500 val and Tiny ImageNet training images outside the subset (experiments/photo_candidates.py).

Run:   python experiments/unet_photo_mix.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           ../shared/data/bsds500/train --choose-on ../shared/data/bsds500/val --assets runs/unet_photo_mix/assets
Quick: python experiments/unet_photo_mix.py --data TINY FOLDER --limit 40 --epochs 1 --steps-per-epoch 4
Time:  about 15 minutes on a 2-core CPU (40,000 crops).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_photo_mix",
    figure_prefix="unet-photo-mix",
    title="U-Net, two heads, Tiny ImageNet, then Tiny ImageNet and whole photos mixed",
    dataset=("tiny_imagenet", "photo_folder"),
    dataset_weights=(0.5, 0.5),  # half the crops from 180 whole photos: each seen ~110 times, cut anew
    train=TrainConfig(
        model_name="unet_photo",
        model_kwargs=(("base_filters", 24),),  # the bundled photo model's width: its weights carry over
        initial_model="unet_photo",
        epochs=5,
        steps_per_epoch=250,  # 8,000 crops an epoch, 40,000 in all (the BSDS-only fine-tune saw 7,200)
        batch_size=32,
        learning_rate=2e-4,  # a tenth of the photo model's: adapt it, do not start again
        learning_rate_schedule="cosine",
        rebalance_mix=0.5,  # as the photo model
        validation_images=2000,  # balanced over Tiny ImageNet's 200 classes and the held-out photos
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
