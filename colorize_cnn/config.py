"""The training configuration: a frozen object that experiment scripts fill and the command line
overrides. Imports nothing heavy, so ``--help`` stays fast."""

import dataclasses

from colorize_cnn.errors import BadArgumentError

LEARNING_RATE_SCHEDULES = ("constant", "cosine")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # Keras dtype policies: compute in 16 bits, weights in 32
DISTRIBUTIONS = ("none", "devices", "processes")  # see colorize_cnn.distribution
HINT_PLACEMENTS = ("centre", "scene")  # where simulated training hints fall: see hints.simulate_planes
WORKING_SIZE = 64  # longest side the fully convolutional models see (README: "Colorizing any size")
CLASS_OUTPUT = "class"  # the training-only class head's output and target (models.with_class_head)
MAX_WORKING_SIZE = 1024  # beyond it the network's memory grows past a laptop's (about 2 GB at 1024)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What to train and how; the defaults are the original experiments' (batch 32, 10 epochs, Adam)."""

    model_name: str
    model_kwargs: tuple = ()  # (("filters", 8),): a tuple so the config stays hashable and frozen
    epochs: int = 10
    # None: an epoch is one pass over the training images; else this many batches (photo sets,
    # streamed without end: e.g. a mix, whose small sets are drawn far more often than they hold)
    steps_per_epoch: int = None
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 0
    jit_compile: bool = True  # XLA: 1.7–1.8x faster on a 2-core CPU (benchmarks/train_throughput.py)
    # Training steps per call into TensorFlow: the same updates with less Python overhead. It pays
    # for small models (flatten -> dense: +30–40%) and made no measurable difference for the 25M-weight
    # ones (benchmarks/train_throughput.py), so experiments choose it.
    steps_per_execution: int = 1
    rebalance_mix: float = 0.5  # bin classifiers only: Zhang et al.'s uniform mix (1 = no rebalancing)
    learning_rate_schedule: str = "constant"  # or "cosine": decays to 0 over the whole run
    progress_vividness: float = 0.0  # decoding of the per-epoch progress PSNR (heads.decode_ab)
    validation_images: int = None  # fixed, class-balanced held-out images for val_loss; None: all
    # "devices": data-parallel over every local device (TensorFlow's MirroredStrategy; XLA is off
    # under a strategy, as Keras requires); "processes": several processes through keras.distribution
    # on JAX (colorize_cnn.distribution). The global batch stays batch_size, each device or process
    # takes its share. Not part of what makes a run the same run: a run may resume on other devices.
    distribute: str = "none"
    # Fine-tuning: start from the weights of this model (a registry name or a .keras file, as
    # colorize's --model takes), e.g. the hint model from the bundled photo model ("default").
    initial_model: str = None
    # Hint models: where simulated hints fall ("centre": the paper's, for object-centred images;
    # "scene": anywhere, inside regions; hints.simulate_planes).
    hint_placement: str = "centre"
    # Hint models: the share of training crops with one region given another colour in the target
    # and a hint of that colour inside it (recolour.recolour_regions): locality, learnt.
    recolour_share: float = 0.0
    # Two-head photo models: the weight of an auxiliary classification loss, a training-only head
    # on the bottleneck that names each training image's class (Tiny ImageNet's labels: semantics for
    # the colour; models.with_class_head). 0: none. Images without a label do not count.
    class_loss_weight: float = 0.0
    # Mixed precision: layers compute in bfloat16 or float16, weights stay float32 (Keras's dtype
    # policies; float16 gets loss scaling). Pays on GPUs with tensor cores; see the README.
    precision: str = "float32"

    def __post_init__(self):
        for field in ("epochs", "batch_size", "steps_per_execution", "steps_per_epoch"):
            value = getattr(self, field)
            if field == "steps_per_epoch" and value is None:
                continue
            if not isinstance(value, int) or value <= 0:
                raise BadArgumentError(f"{field} must be a positive integer. Received: {field}={value!r}")
        if self.learning_rate <= 0:
            raise BadArgumentError(f"learning_rate must be positive. Received: learning_rate={self.learning_rate}")
        if self.learning_rate_schedule not in LEARNING_RATE_SCHEDULES:
            raise BadArgumentError(f"learning_rate_schedule must be one of {LEARNING_RATE_SCHEDULES}. "
                             f"Received: learning_rate_schedule={self.learning_rate_schedule!r}")
        if not 0.0 <= self.progress_vividness <= 1.0:
            raise BadArgumentError(f"progress_vividness must be in [0, 1]. Received: {self.progress_vividness}")
        if self.distribute not in DISTRIBUTIONS:
            raise BadArgumentError(f"distribute must be one of {DISTRIBUTIONS}. Received: distribute={self.distribute!r}")
        if self.precision not in PRECISIONS:
            raise BadArgumentError(f"precision must be one of {PRECISIONS}. Received: precision={self.precision!r}")
        if self.hint_placement not in HINT_PLACEMENTS:
            raise BadArgumentError(f"hint_placement must be one of {HINT_PLACEMENTS}. "
                                   f"Received: hint_placement={self.hint_placement!r}")
        if not 0.0 <= self.recolour_share <= 1.0:
            raise BadArgumentError(f"recolour_share must be in [0, 1]. Received: recolour_share={self.recolour_share}")
        if not self.class_loss_weight >= 0.0:
            raise BadArgumentError(f"class_loss_weight must be 0 or more. Received: class_loss_weight={self.class_loss_weight}")
        if not 0.0 <= self.rebalance_mix <= 1.0:
            raise BadArgumentError(f"rebalance_mix must be in [0, 1]. Received: rebalance_mix={self.rebalance_mix}")


