"""Loading a colorizer: the bundled models and their names, the registry's trained runs, ``.onnx``
and ``.keras`` files, the runtime that runs them, and the one rule for the model used when none is
named (``default_model``). ``Colorizer`` is what ``colorize_cnn.colorize`` colours with: the
network, its default decoding, and the network's input and output at the working size.
"""

import dataclasses
from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.config import MAX_WORKING_SIZE, WORKING_SIZE
from colorize_cnn.errors import BadArgumentError, UserError
from colorize_cnn.images import ImageError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_MODEL = "default"
BUNDLED_DEFAULT = "unet_photo_mix_large"  # what "default" means: the model that is best on photographs
DEFAULT_HINT_MODEL = "unet_hints"  # the model colorize uses when hints come with no model named
AUTOMATIC_MODEL = BUNDLED_DEFAULT  # the photo model without hints (the web page offers it beside the hint model)
TRAIN_HINT = "pip install 'colorize-cnn[train]'"  # what a Keras model needs installed


class ModelLoadError(UserError, ValueError):
    """A model name or file that does not give a colorizer."""


class ModelOutputError(UserError, ValueError):
    """A colorizer whose output cannot be colour (NaN or infinity)."""


@dataclasses.dataclass(frozen=True)
class Colorizer:
    """A loaded network with what decoding it needs; ``load_colorizer`` makes one."""

    network: object  # networks.OnnxNetwork or KerasNetwork: gray (N, H, W, 1) -> one output kind of colorize_cnn.heads
    name: str
    vividness: float = 0.0  # the model's defaults, chosen on validation images (files.read_decoding)
    balance: float = 0.0
    working_size: int = WORKING_SIZE  # the longest side it sees by default: the size it learnt at

    @property
    def kind(self):
        return self.network.kind

    @property
    def stride(self):
        """Output stride: chroma comes at 1 / stride of the working size."""
        return self.network.stride

    @property
    def padding_multiple(self):
        """Input sides are padded to a multiple of this."""
        return self.network.padding_multiple

    @property
    def fixed_size(self):
        return self.network.fixed_size

    @property
    def runtime(self):
        """``"onnx"`` or ``"keras"`` (``networks.RUNTIMES``)."""
        return self.network.runtime

    @property
    def takes_hints(self):
        from colorize_cnn.hints import HINT_CHANNELS

        return self.network.channels == 1 + HINT_CHANNELS

    @property
    def model(self):
        """The ``keras.Model`` (for training and the evaluation reports); only on the Keras runtime."""
        if self.network.model is None:
            raise ModelLoadError(f"{self.name} runs on ONNX Runtime, which has no Keras model; load it with "
                                 "load_colorizer(..., runtime='keras') (needs the train extra).")
        return self.network.model

    def working_shape(self, height, width, working_size=None):
        """The size the network sees an ``height x width`` image at (before padding); ``working_size``
        ``None``: the model's own."""
        if self.fixed_size:
            return self.fixed_size
        scale = min(1.0, (working_size or self.working_size) / max(height, width))
        return max(1, round(height * scale)), max(1, round(width * scale))

    def network_input(self, gray, working_size=None):
        """A gray ``(H, W)`` (uint8, uint16, or float in [0, 1]) -> the network's float gray batch
        ``(1, h', w', 1)`` in [0, 1] at the working size, edge-padded to the model's padding multiple.
        Resized first, scaled after (the resize is linear): the full-size plane is never made float."""
        scale = _full_scale(gray)
        small = color.resize_plane(gray, *self.working_shape(*gray.shape, working_size))
        small = small / np.float32(scale) if scale != 1.0 else small
        pad = [(0, -side % self.padding_multiple) for side in small.shape]
        return np.pad(small, pad, mode="edge")[None, ..., None]

    def outputs(self, batch, working_shape, hint_planes=None):
        """Raw network outputs for ``network_input``'s batch; ``hint_planes`` ``(h, w, 3)`` at
        ``working_shape`` for a hint model (zero-padded like the gray)."""
        from colorize_cnn.hints import with_hint_planes

        if hint_planes is not None:
            pad = [(0, padded - side) for padded, side in zip(batch.shape[1:3], working_shape)] + [(0, 0)]
            batch = with_hint_planes(batch, np.pad(hint_planes, pad)[None])
        elif self.takes_hints:
            batch = with_hint_planes(batch)  # no hints: zero planes
        return self.network(np.asarray(batch, np.float32))

    def decode(self, outputs, working_shape, vividness=None, balance=None):
        """Chroma ``(h, w, 2)`` from ``outputs`` at ``vividness`` and ``balance`` (``None``: the
        model's defaults), from the working size's share of the output (the padding taken off first)."""
        from colorize_cnn import heads

        window = (slice(None), slice(-(-working_shape[0] // self.stride)), slice(-(-working_shape[1] // self.stride)))
        outputs = {name: value[window] for name, value in outputs.items()} if isinstance(outputs, dict) \
            else outputs[window]
        return heads.decode_ab(outputs, self.kind, self.vividness if vividness is None else vividness,
                               balance=self.balance if balance is None else balance)[0]

    def predict_ab(self, gray, working_size=None, vividness=None, balance=None):
        """Chroma for a float gray ``(H, W)`` in [0, 1], at the working size (not H x W), no hints."""
        shape = self.working_shape(*gray.shape, working_size)
        return self.decode(self.outputs(self.network_input(gray, working_size), shape), shape, vividness, balance)


def _bundled_names():
    """Names of the models bundled with the package (``weights/NAME.onnx`` and ``NAME.keras``); some,
    like the default ``unet_photo_mix_large`` (``experiments/unet_photo_mix_large.py``), are an experiment's name,
    not an architecture's."""
    return sorted({path.stem for path in WEIGHTS_DIR.iterdir() if path.suffix in (".onnx", ".keras")})


def _registry_names():
    """The model registry's names (``colorize_cnn.models``): none without Keras (the train extra)."""
    try:
        from colorize_cnn.models import MODEL_NAMES
    except ModuleNotFoundError as error:
        if error.name not in ("keras", "tensorflow"):
            raise
        return ()
    return MODEL_NAMES


def _known_names():
    registry = _registry_names()
    return [DEFAULT_MODEL, *registry, *(name for name in _bundled_names() if name not in registry)]


def _model_path(name, runtime):
    """The saved model for a registry or bundled name: bundled with the package (its ONNX export
    unless ``runtime`` is Keras), else the experiment's run."""
    from colorize_cnn.files import MODEL_FILE, RUNS_DIR
    from colorize_cnn.networks import KERAS, ONNX

    bundled = WEIGHTS_DIR / (BUNDLED_DEFAULT if name == DEFAULT_MODEL else name)
    candidates = [bundled.with_suffix(suffix) for suffix in {None: (".onnx", ".keras"), ONNX: (".onnx",),
                                                             KERAS: (".keras",)}[runtime]]
    if name != DEFAULT_MODEL and runtime != ONNX:
        candidates.append(RUNS_DIR / name / MODEL_FILE)
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None and name == DEFAULT_MODEL:
        raise ModelLoadError(f"the bundled model {candidates[0]} is missing from this installation; reinstall "
                             "colorize-cnn, or pass --model with a .keras or .onnx file.")
    if path is None:
        raise ModelLoadError(f"model {name!r} has no trained weights{' for ' + runtime if runtime else ''} (looked "
                             f"in {', '.join(map(str, candidates))}). Train it with: python experiments/{name}.py, "
                             "or pass a .keras file.")
    return path


def default_model(hints):
    """The one rule for the model used when none is named: the bundled hint model where hints are
    (or may be) given, else the bundled automatic model ("default")."""
    return DEFAULT_HINT_MODEL if hints else DEFAULT_MODEL


def load_colorizer(model=None, runtime=None, hints=False):
    """A ``Colorizer`` (returned as it is), ``None`` (``default_model(hints)``), "default" (the bundled
    photo model), a registry
    or bundled name (its trained weights: bundled, else ``runs/<name>/model.keras`` from the
    experiment script), a ``.onnx`` or ``.keras`` path, or a ``keras.Model``. A JSON file beside the
    model file (``files.read_decoding``) gives the model's default vividness, balance and working size.

    ``runtime``: ``None`` runs a bundled model on ONNX Runtime (no framework is imported) and a
    ``.keras`` file on Keras; ``"keras"`` loads a bundled model's ``.keras`` file instead (for training
    and the evaluation reports, which need the ``keras.Model``: ``Colorizer.model``); ``"onnx"`` only
    accepts an ONNX file."""

    from colorize_cnn.files import read_decoding
    from colorize_cnn.networks import KERAS, ONNX, RUNTIMES

    if isinstance(model, Colorizer):
        return model
    if runtime not in (None, *RUNTIMES):
        raise BadArgumentError(f"runtime must be one of {', '.join(RUNTIMES)} (or None: ONNX where there is an "
                               f"export). Received: runtime={runtime!r}")
    if model is not None and not isinstance(model, (str, Path)):  # a keras.Model
        return Colorizer(network=_keras_network(model, model.name), name=model.name)
    name = str(model or default_model(hints))
    if name == DEFAULT_MODEL or name in _bundled_names():
        path = _model_path(name, runtime)
    elif not name.endswith((".keras", ".onnx")) and name in _registry_names():
        path = _model_path(name, runtime)
    elif name.endswith((".keras", ".onnx")) or Path(name).exists():
        path = Path(name)
        if path.is_dir():
            raise ModelLoadError(f"{path} is a folder; --model takes a .keras file (e.g. runs/NAME/model.keras), "
                                 f"a .onnx file or one of: {', '.join(_known_names())}.")
        if not path.is_file():
            raise ModelLoadError(f"model file {path} does not exist.")
    else:
        known = _known_names()
        extra = "" if _registry_names() else f" (the registry's models need the train extra: {TRAIN_HINT})"
        raise ModelLoadError(f"unknown model {name!r}. Use a .keras or .onnx file or one of: {', '.join(known)}{extra}.")
    if path.suffix == ".onnx":
        if runtime == KERAS:
            raise ModelLoadError(f"{path} is an ONNX file; runtime 'keras' takes a .keras file.")
        network = _onnx_network(path)
    elif runtime == ONNX:
        raise ModelLoadError(f"{path} is a Keras file; export it for ONNX Runtime with: python -m colorize_cnn.export "
                             f"{path}")
    else:
        network = _keras_network(_load_keras_model(path), path)
    decoding = read_decoding(path)
    return Colorizer(network=network, name=str(path), vividness=float(decoding.get("vividness", 0.0)),
                     balance=float(decoding.get("balance", 0.0)),
                     working_size=check_working_size(decoding.get("working_size")) or WORKING_SIZE)



def _onnx_network(path):
    from colorize_cnn.networks import OnnxNetwork

    try:
        return OnnxNetwork(path)
    except ModuleNotFoundError as error:
        if error.name != "onnxruntime":
            raise
        raise ModelLoadError("ONNX Runtime is missing from this installation; reinstall colorize-cnn "
                             "(pip install colorize-cnn).") from None
    except Exception as error:  # onnxruntime raises its own exception types for damaged or foreign files
        raise ModelLoadError(f"{path} is not an ONNX colorizer this package can run ({error}); export one with "
                             "python -m colorize_cnn.export MODEL.keras, or pass another model.") from None


def _load_keras_model(path):
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{path} is damaged or not a .keras file (a .keras file is a zip archive); "
                             "save the model again, or pass another one.")
    try:
        import keras

        import colorize_cnn.models  # noqa: F401  (registers the custom layers for loading)
    except ModuleNotFoundError as error:
        if error.name not in ("keras", "tensorflow"):
            raise
        raise ModelLoadError(f"{path} is a Keras model, which needs the train extra: {TRAIN_HINT}") from None
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:
        raise ModelLoadError(f"{path} is not a Keras model file this package can load ({type(error).__name__}: {error}).") from None


def _keras_network(model, source):
    from colorize_cnn import heads
    from colorize_cnn.networks import KerasNetwork

    try:
        return KerasNetwork(model)
    except heads.NotAColorizerError as error:
        raise ModelLoadError(f"{source}: {error}") from None


def _full_scale(gray):
    """The value of white in ``gray``'s dtype (255, 65535, or 1.0 for float in [0, 1], checked)."""
    if gray.dtype == np.uint8:
        return 255.0
    if gray.dtype == np.uint16:
        return 65535.0
    if np.issubdtype(gray.dtype, np.floating):
        if not np.isfinite(gray).all() or gray.min() < 0.0 or gray.max() > 1.0:
            raise ImageError("a float gray image must hold finite values in [0, 1].")
        return 1.0
    raise ImageError(f"gray image dtype must be uint8, uint16 or float in [0, 1]. Received: dtype={gray.dtype}")


def check_working_size(working_size):
    """``working_size``, checked: a whole number of pixels up to ``MAX_WORKING_SIZE``, or ``None`` (the model's)."""
    if working_size is None:
        return None
    if not isinstance(working_size, int) or not 1 <= working_size <= MAX_WORKING_SIZE:
        raise BadArgumentError(f"working size must be a whole number of pixels from 1 to {MAX_WORKING_SIZE}. "
                        f"Received: working_size={working_size!r}")
    return working_size
