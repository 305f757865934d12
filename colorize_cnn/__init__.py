"""Keras experiments that teach convolutional networks to colorize grayscale images.

Light on import: TensorFlow loads only when a model is built, trained or run.

    from colorize_cnn.colorize import colorize      # any-size colorization, bundled model
    from colorize_cnn.models import build_model     # the registry of architectures
"""

__version__ = "0.1.0"
