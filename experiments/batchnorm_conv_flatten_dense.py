"""Experiment 3: batchnorm -> conv -> flatten -> dense.

Batch normalization in front of experiment 2's convolution, to speed training up.

Run:   python experiments/batchnorm_conv_flatten_dense.py --data ../shared/data/cifar10-jpeg
Quick: python experiments/batchnorm_conv_flatten_dense.py --limit 500 --epochs 1
Time:  about 20 minutes for 10 epochs at batch size 32 on a 2-core CPU (8 filters, as experiment 2).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="batchnorm_conv_flatten_dense",
    figure_prefix="batchnorm-convolution-flatten-dense",
    title="batchnorm -> conv -> flatten -> dense",
    train=TrainConfig(
        model_name="batchnorm_conv_flatten_dense",
        model_kwargs=(("filters", 8),),
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
