"""Keras experiments that teach convolutional networks to colorize grayscale images.

Light on import: TensorFlow loads only when a model is built, trained or run.

    from colorize_cnn.colorize import colorize      # any-size colorization, bundled model
    from colorize_cnn.models import build_model     # the registry of architectures
"""

from importlib import metadata

try:
    __version__ = metadata.version("colorize-cnn")  # pyproject.toml's, once installed
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "unknown"
