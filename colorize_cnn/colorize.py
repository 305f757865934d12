"""Colorizing a grayscale image of any size into an RGB image of the same size.

The network predicts colour only, on a copy of the image no larger than ``working_size`` (or at
the fixed 32x32 of the original models); the chroma is brought to the full H x W, guided by the
input's own full-resolution lightness, and joined to it (``colorize_cnn.color.recombine``). So the output is exactly
H x W and keeps the input's luminance and detail.
"""

import dataclasses
from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.config import MAX_WORKING_SIZE, WORKING_SIZE
from colorize_cnn.errors import BadArgumentError, UserError
from colorize_cnn.images import ImageError, check_size

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_MODEL = "default"
BUNDLED_DEFAULT = "unet_photo"  # what "default" means: the model that is best on photographs


class ModelLoadError(UserError, ValueError):
    """A model name or file that does not give a colorizer."""


class ModelOutputError(UserError, ValueError):
    """A colorizer whose output cannot be colour (NaN or infinity)."""


@dataclasses.dataclass(frozen=True)
class Colorizer:
    """A loaded model with what decoding it needs; ``load_colorizer`` makes one."""

    model: object  # keras.Model: gray (N, H, W, 1) -> one of the output kinds of colorize_cnn.heads
    name: str
    kind: str
    stride: int  # output stride: chroma comes at 1 / stride of the working size
    padding_multiple: int  # input sides are padded to a multiple of this
    vividness: float = 0.0  # the model's default, chosen on validation images (files.decoding_path)

    @property
    def fixed_size(self):
        height, width = self.model.input_shape[1:3]
        return None if height is None or width is None else (height, width)

    def predict_ab(self, gray, working_size=WORKING_SIZE, vividness=None):
        """Chroma for a float gray ``(H, W)`` in [0, 1], at the working size (not H x W)."""
        from colorize_cnn import heads

        height, width = gray.shape
        if self.fixed_size:
            small_height, small_width = self.fixed_size
        else:
            scale = min(1.0, working_size / max(height, width))
            small_height, small_width = max(1, round(height * scale)), max(1, round(width * scale))
        small = color.resize_plane(gray, small_height, small_width)
        pad = [(0, -side % self.padding_multiple) for side in small.shape]
        batch = np.pad(small, pad, mode="edge")[None, ..., None]
        ab = heads.predict_ab(self.model, batch, self.vividness if vividness is None else vividness)[0]
        return ab[: -(-small_height // self.stride), : -(-small_width // self.stride)]


def _known_names():
    from colorize_cnn.models import MODEL_NAMES

    return [DEFAULT_MODEL, *MODEL_NAMES]


def _model_path(name):
    """The saved model for a registry name: bundled with the package, else the experiment's run."""
    from colorize_cnn.files import MODEL_FILE, RUNS_DIR

    bundled = WEIGHTS_DIR / f"{BUNDLED_DEFAULT if name == DEFAULT_MODEL else name}.keras"
    candidates = [bundled] if name == DEFAULT_MODEL else [bundled, RUNS_DIR / name / MODEL_FILE]
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None and name == DEFAULT_MODEL:
        raise ModelLoadError(f"the bundled model {bundled} is missing from this installation; reinstall "
                             "colorize-cnn, or pass --model with a .keras file.")
    if path is None:
        raise ModelLoadError(f"model {name!r} has no trained weights (looked in {', '.join(map(str, candidates))}). "
                             f"Train it with: python experiments/{name}.py, or pass a .keras file.")
    return path


def load_colorizer(model=None):
    """A ``Colorizer`` (returned as it is), ``None``/"default" (the bundled photo model), a registry name (its trained
    weights: bundled, else ``runs/<name>/model.keras`` from the experiment script), a ``.keras``
    path, or a ``keras.Model``. A JSON file beside a ``.keras`` file (``files.decoding_path``) gives
    the model's default vividness."""
    import json

    import keras

    from colorize_cnn import heads
    from colorize_cnn.files import decoding_path
    from colorize_cnn.models import MODEL_NAMES  # registers the custom layers for loading

    if isinstance(model, Colorizer):
        return model
    vividness = 0.0
    if isinstance(model, keras.Model):
        path, name = None, model.name
    else:
        name = str(model or DEFAULT_MODEL)
        if name == DEFAULT_MODEL or name in MODEL_NAMES:
            path = _model_path(name)
        elif name.endswith(".keras") or Path(name).exists():
            path = Path(name)
            if path.is_dir():
                raise ModelLoadError(f"{path} is a folder; --model takes a .keras file (e.g. runs/NAME/model.keras) "
                                     f"or one of: {', '.join(_known_names())}.")
            if not path.is_file():
                raise ModelLoadError(f"model file {path} does not exist.")
        else:
            raise ModelLoadError(f"unknown model {name!r}. Use a .keras file or one of: {', '.join(_known_names())}.")
        import zipfile

        if not zipfile.is_zipfile(path):
            raise ModelLoadError(f"{path} is damaged or not a .keras file (a .keras file is a zip archive); "
                                 "save the model again, or pass another one.")
        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception as error:
            raise ModelLoadError(f"{path} is not a Keras model file this package can load ({type(error).__name__}: {error}).") from None
        if decoding_path(path).is_file():
            vividness = float(json.loads(decoding_path(path).read_text())["vividness"])
    try:
        model = heads.raw_model(model)
        kind = heads.output_kind(model)
    except heads.NotAColorizerError as error:
        raise ModelLoadError(f"{path or name}: {error}") from None
    return Colorizer(model=model, name=name if path is None else str(path), kind=kind,
                     stride=heads.output_stride(model), padding_multiple=heads.padding_multiple(model),
                     vividness=vividness)


def _as_unit_float(gray):
    if gray.dtype == np.uint8:
        return gray.astype(np.float32) / 255.0
    if gray.dtype == np.uint16:
        return gray.astype(np.float32) / 65535.0
    if np.issubdtype(gray.dtype, np.floating):
        if not np.isfinite(gray).all() or gray.min() < 0.0 or gray.max() > 1.0:
            raise ImageError("a float gray image must hold finite values in [0, 1].")
        return gray.astype(np.float32)
    raise ImageError(f"gray image dtype must be uint8, uint16 or float in [0, 1]. Received: dtype={gray.dtype}")


def check_working_size(working_size):
    if not isinstance(working_size, int) or not 1 <= working_size <= MAX_WORKING_SIZE:
        raise BadArgumentError(f"working size must be a whole number of pixels from 1 to {MAX_WORKING_SIZE}. "
                        f"Received: working_size={working_size!r}")
    return working_size


def colorize(gray_image, model=None, working_size=WORKING_SIZE, vividness=None):
    """Colorizes a grayscale image of any size.

    Args:
        gray_image: ``(H, W)`` or ``(H, W, 1)``; uint8, uint16, or float in [0, 1].
        model: a ``Colorizer``, anything ``load_colorizer`` takes, or ``None`` for the bundled model.
        working_size: longest side the network sees, for fully convolutional models (at most
            ``MAX_WORKING_SIZE``).
        vividness: 0 (the model's safest colours) to 1 (its most vivid); ``None``: the model's
            default, chosen on validation images (see ``colorize_cnn.heads``).
    Returns:
        ``(H, W, 3)`` sRGB of the input's dtype (float32 for float input) whose CIELAB
        lightness equals the input's (up to rounding and gamut clipping).
    """
    gray_image = np.asarray(gray_image)
    if gray_image.ndim == 3 and gray_image.shape[-1] == 1:
        gray_image = gray_image[..., 0]
    if gray_image.ndim != 2:
        raise ImageError(f"expected a gray image of shape (H, W) or (H, W, 1). Received: shape={gray_image.shape}")
    check_size(*gray_image.shape)
    check_working_size(working_size)
    if vividness is not None:
        from colorize_cnn.heads import check_vividness

        check_vividness(vividness)
    colorizer = model if isinstance(model, Colorizer) else load_colorizer(model)
    gray = _as_unit_float(gray_image)
    ab = colorizer.predict_ab(gray, working_size, vividness)
    del gray
    if not np.isfinite(ab).all():
        raise ModelOutputError(f"model {colorizer.name} gave NaN or infinite colours (did its training diverge?); "
                               "retrain it, or use another model.")
    lightness = color.gray_to_lightness(gray_image)
    out_dtype = gray_image.dtype if gray_image.dtype in (np.uint8, np.uint16) else np.float32
    return color.recombine(lightness, ab, dtype=out_dtype)


def _check_output(input_path, output_path, overwrite, inputs=()):
    from colorize_cnn.images import output_format

    output_format(output_path)
    if output_path.resolve() == input_path.resolve() or output_path.resolve() in inputs:
        raise ImageError(f"refusing to overwrite the input {output_path}; choose another output name.")
    try:
        exists = output_path.exists()
    except OSError as error:  # a name too long, a folder without search permission, ...
        raise ImageError(f"cannot write {output_path} ({error.strerror or error}); choose another output.") from None
    if exists and not overwrite:
        raise ImageError(f"output {output_path} already exists; choose another name or remove it.")


def colorize_file(input_path, output_path, model=None, overwrite=False, working_size=WORKING_SIZE, vividness=None,
                  encoding=None):
    """Colorizes an image file into ``output_path`` (PNG, JPEG or TIFF by extension).

    Returns the ``GrayImage`` read, so callers can report colour inputs. Keeps 16-bit depth in
    PNG and TIFF; refuses to overwrite the input, and any existing file unless ``overwrite``.
    ``encoding``: an ``images.Encoding`` (PNG compression, JPEG quality); default settings if None.
    """
    ((_, _, result, _),) = colorize_files([(input_path, output_path)], model, overwrite, working_size, vividness,
                                           encoding)
    if isinstance(result, BaseException):
        raise result
    return result


def colorize_files(jobs, model=None, overwrite=False, working_size=WORKING_SIZE, vividness=None, encoding=None):
    """Colorizes many files with one loaded model, keeping the cores busy: the next file is read
    and the last one written (each in its own thread) while the current one is colorized.

    Args:
        jobs: ``(input path, output path)`` pairs; no output may be one of the inputs.
        the rest: as ``colorize_file``.
    Yields:
        ``(input path, output path, GrayImage, dropped)`` per job, in order, once its file is
        written (``dropped``: what the output format could not keep, e.g. ``("alpha",)``); or
        ``(input path, output path, error, ())`` with the ``UserError`` (or ``MemoryError``) that
        stopped it, so one bad file does not stop the others. Bugs still raise. Transparency is
        kept where the output format can hold it.
    """
    from concurrent.futures import ThreadPoolExecutor

    from colorize_cnn.images import Encoding, read_gray, write_rgb

    jobs = [(Path(source), Path(target)) for source, target in jobs]
    check_working_size(working_size)
    encoding = encoding or Encoding()
    colorizer = model if isinstance(model, Colorizer) else load_colorizer(model)
    inputs = {source.resolve() for source, _ in jobs}

    def read(job):
        _check_output(*job, overwrite, inputs)
        return read_gray(job[0])

    def finish(source, target, image, written):
        try:
            return source, target, image, (written.result() if written is not None else ())
        except (UserError, MemoryError) as error:
            return source, target, error, ()

    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        reading = reader.submit(read, jobs[0]) if jobs else None
        previous = None
        for index, (source, target) in enumerate(jobs):
            current = reading
            reading = reader.submit(read, jobs[index + 1]) if index + 1 < len(jobs) else None
            written = None
            try:
                image = current.result()
                rgb = colorize(image.pixels, colorizer, working_size, vividness)
                written = writer.submit(write_rgb, rgb, target, overwrite, encoding, image.alpha)
                del rgb
            except (UserError, MemoryError) as error:
                image = error
            if previous is not None:
                yield finish(*previous)  # at most one image waits to be written
            previous = source, target, image, written
        if previous is not None:
            yield finish(*previous)
