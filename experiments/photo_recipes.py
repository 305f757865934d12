"""Which training recipe colours photos best, and which removes the warm cast? The photo U-Net
trained several ways with the same number of training steps, each scored against the gray baseline
on BSDS500 val (whole photos at their own size, the command line's path) and on Tiny ImageNet
training images that no recipe trains on: PSNR, colourfulness, the cast (mean a*, b* of the output
minus the truth's) and the harm (photos more than 3 dB below gray) at every vividness, and the
vividness each recipe would get (the most vivid setting that keeps the mean at least gray's and
at most 5% of the images more than 3 dB below gray, on both sets).

Trains from in-memory arrays with Keras's own input (``train.train_on_arrays``), so it runs on any
Keras backend: on a 2-core CPU each recipe takes about an hour; with KERAS_BACKEND=jax on one GPU,
a minute or less (README, "What was tried against the warm cast").

Run:   python experiments/photo_recipes.py --data ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip \
           --bsds500-val ../shared/data/bsds500/val --models runs/photo_recipes
Quick: add --images 200 --held-out 50 --recipes reference --steps-of-images 400
"""

import sys

from colorize_cnn.config import TrainConfig
from colorize_cnn.reports.recipes import RecipeConfig, main

REFERENCE = TrainConfig(  # experiments/unet_photo.py's recipe (the old default)
    model_name="unet_photo", model_kwargs=(("base_filters", 24),), epochs=4, batch_size=32, learning_rate=2e-3,
    learning_rate_schedule="cosine", rebalance_mix=0.5,
)
CONTEXT = (("model_name", "unet_photo_context"),)  # + a global scene branch (Iizuka et al. 2016)

CONFIG = RecipeConfig(
    reference=REFERENCE,
    variants=(  # (name, changes to the reference), most telling first: a run cut short keeps those
        ("reference", ()),
        ("scene context", CONTEXT),
        ("scene context, milder rebalancing (mix 0.8)", CONTEXT + (("rebalance_mix", 0.8),)),
        ("milder rebalancing (mix 0.8)", (("rebalance_mix", 0.8),)),
        ("scene context, milder rebalancing (mix 0.8), 3x the steps", CONTEXT + (("rebalance_mix", 0.8),
                                                                                  ("epochs", 12))),
        ("scene context, wider (32 filters), 3x the steps", CONTEXT + (("epochs", 12),
                                                                        ("model_kwargs", (("base_filters", 32),)))),
    ),
    full_set_images=50_000,  # epochs count passes over this many images, whatever --images is
    held_out_images=1000,
)

if __name__ == "__main__":
    sys.exit(main(CONFIG, sys.argv[1:]))
