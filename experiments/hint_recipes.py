"""How to fine-tune the hint model: a few recipes, each trained from the bundled photo model for the
same number of training steps, scored on BSDS500 val (whole photos at their own size, through
``colorize``) with 0, 1, 5 and 10 hints drawn from the truth by the evaluation's protocol
(``colorize_cnn.reports.hint_report``), beside the automatic model they start from. The winner's
settings go to experiments/unet_hints.py.

Trains from in-memory arrays with Keras's own input (``train.train_on_arrays``), so it runs on any
Keras backend: with KERAS_BACKEND=jax on one GPU each recipe takes a minute or two; on a 2-core CPU,
hours.

Run:   KERAS_BACKEND=jax python experiments/hint_recipes.py \
           --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --bsds500-val ../shared/data/bsds500/val --out runs/hint_recipes.json --models runs/hint_recipes
Quick: add --images 200 --recipes "fine-tune, lr 3e-4" --steps-of-images 200
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.recipes import RecipeConfig, main

REFERENCE = TrainConfig(  # experiments/unet_hints.py's model, fine-tuned from the bundled photo model
    model_name="unet_hints", model_kwargs=(("base_filters", 24),), initial_model="unet_photo", epochs=2,
    batch_size=32, learning_rate=3e-4, learning_rate_schedule="cosine", rebalance_mix=0.5,
)

CONFIG = RecipeConfig(
    reference=REFERENCE,
    variants=(  # (name, changes to the reference)
        ("fine-tune, lr 3e-4", ()),
        ("fine-tune, lr 1e-3", (("learning_rate", 1e-3),)),
        ("fine-tune, lr 2e-3", (("learning_rate", 2e-3),)),
        ("fine-tune, lr 3e-4, 3x the steps", (("epochs", 6),)),
        ("from scratch, lr 2e-3, 3x the steps", (("initial_model", None), ("learning_rate", 2e-3), ("epochs", 6))),
    ),
    full_set_images=50_000,  # epochs count passes over this many images, whatever --images is
    hints=True,
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
