"""Keras experiments that teach convolutional networks to colorize grayscale images.

Light on import: colorizing with the bundled models runs on ONNX Runtime and imports no framework;
TensorFlow loads only when a Keras model is built, trained or run (the train extra).

    from colorize_cnn.colorize import colorize      # any-size colorization, bundled model
    from colorize_cnn.models import build_model     # the registry of architectures (train extra)
"""


def __getattr__(name):
    """``__version__``, read from the installed package's metadata when first asked for (importing
    ``importlib.metadata`` costs about 0.07 s of every start)."""
    if name != "__version__":
        raise AttributeError(f"module 'colorize_cnn' has no attribute {name!r}")
    from importlib import metadata

    try:
        return metadata.version("colorize-cnn")  # pyproject.toml's, once installed
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
