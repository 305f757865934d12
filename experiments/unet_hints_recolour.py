"""Hints that stay on their region: the whole-scene hint model (experiments/unet_hints_scenes.py)
fine-tuned further with recoloured crops. In half of the crops one region (a Felzenszwalb segment)
takes another colour in the training target, lightness kept, with a hint of that colour inside
it, and the rest keeps its true colour (``colorize_cnn.recolour``): a hint that spreads past its
region costs loss. Hints from the truth alone cannot teach this: one region's true colour also
predicts the others'. This run's model is bundled as ``unet_hints_recolour`` (the hint model
before experiments/unet_hints_scenes128.py continued it; docs/hints.md: what it gave):
``cp runs/unet_hints_recolour/model.keras colorize_cnn/weights/unet_hints_recolour.keras`` and
``python -m colorize_cnn.export colorize_cnn/weights/unet_hints_recolour.keras``.

Data: as experiments/unet_hints_scenes.py (data/scenes, git-ignored); run that script first.
Run:   python experiments/unet_hints_recolour.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           data/scenes --choose-on ../shared/data/bsds500/val
Time:  about 25 minutes on a 2-core CPU (4 epochs of 16,000 crops; resumable after each epoch).
"""

import dataclasses
import sys

from colorize_cnn.reports.experiment import main
from unet_hints_scenes import CONFIG as SCENES  # the whole-scene recipe this one continues (the script's folder)

CONFIG = dataclasses.replace(
    SCENES,
    name="unet_hints_recolour",
    figure_prefix="unet-hints-recolour",
    title="U-Net with hints, whole scenes, recoloured regions",
    train=dataclasses.replace(
        SCENES.train,
        initial_model="runs/unet_hints_scenes/model.keras",
        recolour_share=0.5,  # half of the crops teach that a hint colours its region
        epochs=4,
        learning_rate=1e-3,  # half the first run's: a fine-tune of it
    ),
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
