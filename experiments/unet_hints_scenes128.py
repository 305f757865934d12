"""The bundled hint model (``unet_hints``, working size 128): the previous one
(``unet_hints_recolour``, experiments/unet_hints_recolour.py) fine-tuned on 128 x 128 crops of the
whole-scene photographs, half of them recoloured. Bundled from this run's model with
``cp runs/unet_hints_scenes128/model.keras colorize_cnn/weights/unet_hints.keras``, its decoding
JSON (``colorize_cnn/weights/unet_hints.json``: vividness 0, balance 0, working size 128) and
``python -m colorize_cnn.export colorize_cnn/weights/unet_hints.keras`` (docs/hints.md: what it gave).

At inference a hint's reach is a number of the network's cells: the previous model, which learnt at
64 px, keeps a hint of another colour out of the other segments far better at working size 128
(0.06 of the way there, against 0.21 at 64, BSDS500 val) but takes less inside its own (0.21
against 0.37; docs/hints.md). Here it learns at 128, so that a hint may fill its region at that
size. Photo folders only: the Tiny ImageNet thumbnails are 64 px.

Data: data/scenes, as experiments/unet_hints_scenes.py (git-ignored).
Run:   python experiments/unet_hints_scenes128.py --data data/scenes --choose-on ../shared/data/bsds500/val \
           --assets runs/unet_hints_scenes128/assets
Quick: add --limit 40 --epochs 1 --steps-per-epoch 2 --out runs/unet_hints_scenes128-quick
Time:  about 100 minutes on a 2-core CPU (4 epochs of 16,000 crops, each 4x a 64 px crop's work; 20–31
       min an epoch here; resumable after each epoch: run the same command again).
"""

import dataclasses
import sys

from colorize_cnn.reports.experiment import main
from unet_hints_recolour import CONFIG as RECOLOUR  # the recipe this one continues (the script's folder)

CONFIG = dataclasses.replace(
    RECOLOUR,
    name="unet_hints_scenes128",
    figure_prefix="unet-hints-scenes128",
    title="U-Net with hints, whole scenes at 128 px, recoloured regions",
    dataset="photo_folder",
    dataset_weights=(),
    crop_size=128,
    train=dataclasses.replace(
        RECOLOUR.train,
        initial_model="unet_hints_recolour",  # the previous bundled hint model, bundled under this name
        epochs=4,
        learning_rate=5e-4,
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
