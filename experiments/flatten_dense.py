"""Experiment 1: flatten -> dense.

Can one Dense layer from the 1,024 gray values to the 3,072 RGB values colour an image? Every
output pixel sees every input pixel, but nothing tells the layer that neighbours belong together.

Run:   python experiments/flatten_dense.py --data ../shared/data/cifar10-jpeg
Quick: python experiments/flatten_dense.py --limit 500 --epochs 1   (seconds; writes runs/flatten_dense-limit500)
Time:  about 2 minutes for the default 10 epochs at batch size 32 on a 2-core CPU (3.1M parameters).
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.experiment import ExperimentConfig, main

CONFIG = ExperimentConfig(
    name="flatten_dense",
    figure_prefix="flatten-dense",
    title="flatten -> dense",
    train=TrainConfig(
        model_name="flatten_dense",
        steps_per_execution=16,  # 30–40% faster for this small model (benchmarks/train_throughput.py)
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
