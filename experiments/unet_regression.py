"""Experiment 5: the U-Net of experiment 4 with an L1 regression head (the loss comparison).

Same network, same data, but it predicts ab directly and is trained with an L1 loss, as most
simple colorizers are. It shows what the choice of loss does: regression averages plausible colours.

Run:   python experiments/unet_regression.py --data ../shared/data/cifar10-jpeg
Quick: python experiments/unet_regression.py --limit 500 --epochs 1
Time:  about 3 minutes an epoch on a 2-core CPU (0.5M parameters); the default is 5 epochs.
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="unet_regression",
    figure_prefix="unet-regression",
    title="U-Net, L1 regression",
    train=TrainConfig(
        model_name="unet_regression",
        epochs=5,
        batch_size=64,
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
