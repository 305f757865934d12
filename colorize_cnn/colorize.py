"""Colorizing a grayscale image of any size into an RGB image of the same size.

The network predicts colour only, on a copy of the image no larger than ``working_size`` (or at
the fixed 32x32 of the original models); the chroma is brought to the full H x W, guided by the
input's own full-resolution lightness, and joined to it (``colorize_cnn.color.recombine``). So the output is exactly
H x W and keeps the input's luminance and detail. Loading the model: ``colorize_cnn.colorizer``
(its names are imported here too, the package's public colouring API).
"""

from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.colorizer import (AUTOMATIC_MODEL, DEFAULT_HINT_MODEL, DEFAULT_MODEL, Colorizer, ModelLoadError,
                                    ModelOutputError, check_working_size, default_model, load_colorizer)
from colorize_cnn.errors import UserError
from colorize_cnn.images import ImageError, check_size

__all__ = [  # the public colouring API; loading lives in colorize_cnn.colorizer, its names come along
    "colorize", "ColorizeSession", "suggest_colours", "colorize_file", "colorize_files", "load_colorizer",
    "default_model", "Colorizer", "ModelLoadError", "ModelOutputError", "DEFAULT_MODEL", "DEFAULT_HINT_MODEL",
    "AUTOMATIC_MODEL", "check_working_size",
]


def colorize(gray_image, model=None, working_size=None, vividness=None, hints=None, balance=None):
    """Colorizes a grayscale image of any size.

    Args:
        gray_image: ``(H, W)`` or ``(H, W, 1)``; uint8, uint16, or float in [0, 1].
        model: a ``Colorizer``, anything ``load_colorizer`` takes, or ``None`` for the bundled model
            (with hints: the bundled hint model).
        working_size: longest side the network sees, for fully convolutional models (at most
            ``MAX_WORKING_SIZE``); ``None``: the model's own (the size it learnt at, 64 unless its
            JSON says otherwise).
        vividness: 0 (the model's safest colours) to 1 (its most vivid); ``None``: the model's
            default, chosen on validation images (see ``colorize_cnn.heads``).
        balance: how far the image's overall colour is pulled to neutral, 0 (the network's own)
            to 1 (no overall cast); ``None``: the model's default, chosen on validation images.
        hints: colours the user gives at points, for a hint model: a list of ``hints.Hint``, of
            dicts ``{"x", "y", "color", "radius"?}`` or of ``(x, y, color)`` tuples, positions in
            this image's pixels, colours ``"#rrggbb"`` or ``(r, g, b)`` (see ``colorize_cnn.hints``).
    Returns:
        ``(H, W, 3)`` sRGB of the input's dtype (float32 for float input) whose CIELAB
        lightness equals the input's (up to rounding and gamut clipping).

    To colour one image again and again with changing hints, use ``ColorizeSession``.
    """
    from colorize_cnn.hints import as_hints

    hints = as_hints(hints)
    colorizer = load_colorizer(model, hints=bool(hints))
    return ColorizeSession(gray_image, colorizer, working_size).render(hints, vividness, balance)


PREVIEW_PIXELS = 1_000_000  # ColorizeSession.preview: about a screen's worth


class ColorizeSession:
    """One image held for repeated colouring, e.g. while a user adds, moves and removes hints.

    What does not depend on the hints is done once, here: the network's gray input at the working
    size and the preview's lightness. The session keeps a reference to ``gray_image`` (not a copy),
    and makes the full-size lightness only for ``render``: what it holds beyond the image is a
    preview's worth (4 bytes a pixel of the full size would be 600 MB for 150 MP). Each new
    set of hints then costs one pass of the network at the working size (its outputs for the last
    hints are kept, so a change of vividness alone costs none) and the recombination at the size
    asked for: ``preview`` (about ``preview_pixels``) or ``render`` (full size, the same pixels as
    ``colorize``).

    Args:
        gray_image, working_size: as ``colorize``.
        model: as ``colorize`` takes it; ``None``: the bundled hint model (what ``colorize`` uses
            with hints), so that hints can be given.
        preview_pixels: the preview's size in pixels (its aspect ratio is the image's); never
            larger than the image.
    """

    def __init__(self, gray_image, model=None, working_size=None, preview_pixels=PREVIEW_PIXELS):
        gray_image = np.asarray(gray_image)
        if gray_image.ndim == 3 and gray_image.shape[-1] == 1:
            gray_image = gray_image[..., 0]
        if gray_image.ndim != 2:
            raise ImageError(f"expected a gray image of shape (H, W) or (H, W, 1). Received: shape={gray_image.shape}")
        check_size(*gray_image.shape)
        check_working_size(working_size)
        self.colorizer = load_colorizer(model, hints=True)
        self.shape = gray_image.shape
        self.dtype = gray_image.dtype if gray_image.dtype in (np.uint8, np.uint16) else np.dtype(np.float32)
        self.working_shape = self.colorizer.working_shape(*self.shape, working_size)
        self._batch = self.colorizer.network_input(gray_image, working_size)
        self.gray = gray_image
        scale = min(1.0, (preview_pixels / gray_image.size) ** 0.5)
        self.preview_shape = tuple(max(1, round(side * scale)) for side in self.shape)
        self._preview_lightness = None
        self._last = None  # (hints, the network's outputs for them)

    def _outputs(self, hints):
        from colorize_cnn.hints import as_hints, check_inside, hint_planes

        hints = check_inside(as_hints(hints), *self.shape)
        if hints and not self.colorizer.takes_hints:
            from colorize_cnn.hints import HintError

            raise HintError(f"model {self.colorizer.name} takes no hints; use the hint model "
                            f"({DEFAULT_HINT_MODEL!r}), or colorize without hints.")
        if self._last is None or self._last[0] != hints:
            planes = hint_planes(hints, self.shape, self.working_shape) if self.colorizer.takes_hints else None
            self._last = hints, self.colorizer.outputs(self._batch, self.working_shape, planes)
        return self._last[1]

    def chroma(self, hints=(), vividness=None, balance=None):
        """The predicted ab ``(h, w, 2)`` at the network's output size (1 / stride of the working size)."""
        from colorize_cnn.heads import check_balance, check_vividness

        if vividness is not None:
            check_vividness(vividness)
        if balance is not None:
            check_balance(balance)
        ab = self.colorizer.decode(self._outputs(hints), self.working_shape, vividness, balance)
        if not np.isfinite(ab).all():
            raise ModelOutputError(f"model {self.colorizer.name} gave NaN or infinite colours (did its training "
                                   "diverge?); retrain it, or use another model.")
        return ab

    def render(self, hints=(), vividness=None, balance=None):
        """The full-size result: ``(H, W, 3)`` sRGB of the input's dtype, as ``colorize`` returns."""
        chroma = self.chroma(hints, vividness, balance)  # a bad hint is refused before the full size is made
        return color.recombine(color.gray_to_lightness(self.gray), chroma, dtype=self.dtype)

    def preview_lightness(self):
        """The CIELAB lightness at the preview size (made once, band by band: never at full size)."""
        if self._preview_lightness is None:
            self._preview_lightness = color.resize_plane(self.gray, *self.preview_shape, values=color.gray_to_lightness)
        return self._preview_lightness

    def preview(self, hints=(), vividness=None, balance=None):
        """The result at the preview size, uint8 ``(h, w, 3)``."""
        return color.recombine(self.preview_lightness(), self.chroma(hints, vividness, balance), dtype=np.uint8)

    def suggest_colours(self, x, y, k=8, hints=()):
        """The model's own guesses for the colour at pixel ``(x, y)`` (full-size coordinates), given
        ``hints``: its distribution over ab bins there, most likely first, as up to ``k`` sRGB colours at
        that pixel's lightness. Bins that give the same sRGB colour are merged.

        Returns:
            A list of ``{"color": "#rrggbb", "probability": p}``.
        """
        from colorize_cnn.heads import AB_BINS
        from colorize_cnn.hints import HintError, make_hint

        point = make_hint(x, y, (0, 0, 0))
        if not (0 <= point.x < self.shape[1] and 0 <= point.y < self.shape[0]):
            raise HintError(f"point x={x}, y={y} is outside the image ({self.shape[1]} x {self.shape[0]} pixels).")
        if not isinstance(k, int) or k < 1:
            raise HintError(f"k must be a positive whole number of colours. Received: k={k!r}")
        outputs = self._outputs(hints)
        if not isinstance(outputs, dict) or AB_BINS not in outputs:
            raise HintError(f"model {self.colorizer.name} predicts no distribution of colours to suggest from; "
                            f"use a model with an ab-bins head (the default, or {DEFAULT_HINT_MODEL!r}).")
        stride = self.colorizer.stride
        row = min(int(point.y * self.working_shape[0] / self.shape[0]) // stride, outputs[AB_BINS].shape[1] - 1)
        column = min(int(point.x * self.working_shape[1] / self.shape[1]) // stride, outputs[AB_BINS].shape[2] - 1)
        probabilities = outputs[AB_BINS][0, row, column]
        order = np.argsort(probabilities)[::-1][: 4 * k]
        lab = np.zeros((len(order), 1, 3), np.float32)
        lab[:, 0, 0] = color.gray_to_lightness(self.gray[int(point.y), int(point.x)])
        lab[:, 0, 1:] = color.ab_bin_centers()[order]
        rgb = np.rint(np.clip(color.lab_to_rgb(lab)[:, 0], 0.0, 1.0) * 255).astype(int)
        merged = {}
        for value, probability in zip(rgb, probabilities[order]):
            key = "#{:02x}{:02x}{:02x}".format(*value)
            merged[key] = merged.get(key, 0.0) + float(probability)
        ranked = sorted(merged.items(), key=lambda item: -item[1])[:k]
        return [{"color": key, "probability": probability} for key, probability in ranked]


def suggest_colours(gray_image, x, y, k=8, model=None, hints=None, working_size=None):
    """``ColorizeSession.suggest_colours`` for one image (the hint model unless ``model`` is given)."""
    return ColorizeSession(gray_image, model, working_size).suggest_colours(x, y, k, hints or ())


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


def colorize_file(input_path, output_path, model=None, overwrite=False, working_size=None, vividness=None,
                  encoding=None, hints=None, balance=None):
    """Colorizes an image file into ``output_path`` (PNG, JPEG or TIFF by extension).

    Returns the ``GrayImage`` read, so callers can report colour inputs. Keeps 16-bit depth in
    PNG and TIFF; refuses to overwrite the input, and any existing file unless ``overwrite``.
    ``encoding``: an ``images.Encoding`` (PNG compression, JPEG quality); default settings if None.
    ``hints``: as ``colorize`` takes them, in the image's pixel coordinates.
    """
    ((_, _, result, _),) = colorize_files([(input_path, output_path)], model, overwrite, working_size, vividness,
                                           encoding, hints, balance)
    if isinstance(result, BaseException):
        raise result
    return result


def colorize_files(jobs, model=None, overwrite=False, working_size=None, vividness=None, encoding=None,
                   hints=None, balance=None):
    """Colorizes many files with one loaded model, keeping the cores busy: the next file is read
    and the last one written (each in its own thread) while the current one is colorized.

    Args:
        jobs: ``(input path, output path)`` pairs; no output may be one of the inputs.
        hints: for one job only (hints name positions in one photo).
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

    from colorize_cnn.hints import HintError, as_hints

    jobs = [(Path(source), Path(target)) for source, target in jobs]
    check_working_size(working_size)
    hints = as_hints(hints)
    if hints and len(jobs) > 1:
        raise HintError(f"hints name positions in one photo; colorize one photo with them, not {len(jobs)}.")
    encoding = encoding or Encoding()
    colorizer = load_colorizer(model, hints=bool(hints))
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
                rgb = colorize(image.pixels, colorizer, working_size, vividness, hints, balance)
                written = writer.submit(write_rgb, rgb, target, overwrite, encoding, image.alpha)
                del rgb
            except (UserError, MemoryError) as error:
                image = error
            if previous is not None:
                yield finish(*previous)  # at most one image waits to be written
            previous = source, target, image, written
        if previous is not None:
            yield finish(*previous)
