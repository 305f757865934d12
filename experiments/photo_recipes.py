"""Which training recipe colours photos best at this scale? The photo U-Net trained several ways
with the same number of training steps, each scored on BSDS500 val photos (whole photos at their
own size, the command line's path) against the gray baseline: PSNR and colourfulness at vividness
0 (the regression head), 0.5 and 1 (the classification head), and the vividness each would get.

Trains from in-memory arrays with Keras's own input (``train.train_on_arrays``), so it runs on any
Keras backend: on a 2-core CPU each recipe takes about as long as experiments/unet_photo.py (an
hour); with KERAS_BACKEND=jax on a GPU machine, a minute or two. Choices only: it writes no model.

Run:   python experiments/photo_recipes.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --bsds500-val ../shared/data/bsds500/val
Quick: add --images 200 --recipes reference --steps-of-images 400
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.recipes import RecipeConfig, main

REFERENCE = TrainConfig(  # experiments/unet_photo.py's recipe
    model_name="unet_photo", model_kwargs=(("base_filters", 24),), epochs=4, batch_size=32, learning_rate=2e-3,
    learning_rate_schedule="cosine", rebalance_mix=0.5,
)

CONFIG = RecipeConfig(
    reference=REFERENCE,
    variants=(  # (name, changes to the reference)
        ("reference", ()),
        ("milder rebalancing (mix 0.8)", (("rebalance_mix", 0.8),)),
        ("wider (base 32 filters, 1.9M parameters)", (("model_kwargs", (("base_filters", 32),)),)),
        ("twice the steps", (("epochs", 8),)),
    ),
    full_set_images=50_000,  # epochs count passes over this many images, whatever --images is
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
