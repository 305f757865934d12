"""Experiment 2: conv -> flatten -> dense (the main experiment).

A 3x3 convolution in front of the Dense layer gives each pixel its neighbourhood. The original
ran at batch size 32 for 10 epochs in about 30 minutes on a 2017 dual-core laptop.

Run:   python experiments/conv_flatten_dense.py --data ../shared/data/cifar10-jpeg
Quick: python experiments/conv_flatten_dense.py --limit 500 --epochs 1   (writes runs/conv_flatten_dense-limit500)
Time:  about 20 minutes for 10 epochs at batch size 32 on a 2-core CPU with 8 filters (a 25M-weight
       Dense layer); 32 filters make it 100M weights and about 65 minutes.
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="conv_flatten_dense",
    figure_prefix="convolution-flatten-dense",
    title="conv -> flatten -> dense",
    train=TrainConfig(
        model_name="conv_flatten_dense",
        model_kwargs=(("filters", 8),),
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
