"""Hints learnt from whole scenes: the hint model fine-tuned from the automatic default on whole
photographs with several objects, its simulated hints anywhere in the crop and inside regions.

The first hint model learnt on object-centred Tiny ImageNet thumbnails with hints near their
centre, where one hint's colour is the frame's colour: one hint of another colour moves the other
segments of a BSDS500 photo a third of the way to it (docs/hints.md). Here each training crop is
drawn from a folder of whole photographs (BSDS500 train, Caltech-101 and the ImageNet detection
sample ``ajschumacher/imagen``: see "Data" below) or, for a quarter of the crops, from the Tiny
ImageNet subset; photos are scaled so their shorter side is the working size (64) and cut at random,
so a crop is most of the scene as the command line sees it. Hints fall anywhere in the crop, each
redrawn while its patch straddles a colour edge (``hints.simulate_planes``, placement "scene"). It
starts from the automatic default (``unet_photo_mix``), so with no hints it starts as that model.

Data: one folder holding the three whole-photo sets (git-ignored; never committed)::

    mkdir -p data/scenes && cp -r ../shared/data/bsds500/train data/scenes/bsds500-train
    # Caltech-101 (MachineLearning2020/Homework2-Caltech101, 101_ObjectCategories without
    # Faces_easy, which crops Faces) and ajschumacher/imagen, from their public GitHub copies:
    # data/scenes/caltech101/<class>/*.jpg and data/scenes/imagen/*.jpg (9,908 photos in all)

Run:   python experiments/unet_hints_scenes.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           data/scenes --choose-on ../shared/data/bsds500/val
Quick: add --limit 40 --epochs 1 --steps-per-epoch 4 --out runs/unet_hints_scenes-quick
Time:  about 75 minutes on a 2-core CPU (15 epochs of 16,000 crops; resumable after each epoch:
       run the same command again).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_hints_scenes",
    figure_prefix="unet-hints-scenes",
    title="U-Net with hints, fine-tuned from the automatic default on whole scenes",
    dataset=("tiny_imagenet", "photo_folder"),
    dataset_weights=(0.25, 0.75),  # three crops in four from whole photos
    train=TrainConfig(
        model_name="unet_hints",
        model_kwargs=(("base_filters", 24),),  # the bundled photo models' width: their weights carry over
        initial_model="unet_photo_mix",  # the automatic default: no hints starts as it
        hint_placement="scene",
        epochs=15,
        steps_per_epoch=500,  # 16,000 crops an epoch (about 15 minutes here), 240,000 in all
        batch_size=32,
        learning_rate=2e-3,  # the best of 3e-4, 1e-3 and 2e-3 for the bundled hint model (docs/hints.md)
        learning_rate_schedule="cosine",
        rebalance_mix=0.5,  # as the photo models
        validation_images=2000,
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
