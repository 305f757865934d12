"""``colorize-cnn INPUT... [-o OUT] [--model NAME_OR_PATH] [--hints FILE]``: colorize image files or folders;
``colorize-cnn serve``: the local web page (``colorize_cnn.app.serve``)."""

import argparse
import sys
from pathlib import Path

from colorize_cnn.config import MAX_WORKING_SIZE, WORKING_SIZE

from colorize_cnn.app.console import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, error, exit_now, quiet_tensorflow_start

PROGRAM = "colorize-cnn"


def _version():
    from colorize_cnn import __version__

    return __version__


def build_parser():
    from colorize_cnn.images import JPEG_QUALITY, PNG_COMPRESSION

    parser = argparse.ArgumentParser(
        prog="colorize-cnn",
        description="Colorize grayscale images of any size. The output has the input's size and lightness. "
        "Colour inputs are converted to gray first. 'colorize-cnn serve' starts a local web page instead "
        "(colorize-cnn serve --help).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", type=Path, help="image file or folder of images")
    parser.add_argument("-o", "--output", type=Path, help="output file (one input file) or folder; default: "
                        "NAME-color.png beside each input file, FOLDER-color/ for a folder")
    parser.add_argument("--model", default=None, help="'default' (bundled: unet_photo_mix_large, trained on photos), a "
                        "registry or bundled name with trained weights (bundled: unet_photo_mix, the previous default; unet_photo; "
                        "unet_hints, unet_hints_recolour; unet_classification, unet_regression; else "
                        "runs/NAME/model.keras), or a .keras file from the experiments, or a .onnx file from colorize_cnn.export")
    parser.add_argument("--runtime", choices=("onnx", "keras"), default=None, help="what runs the network: onnx "
                        "(ONNX Runtime; the default for the bundled models) or keras (their .keras files; needs "
                        "pip install 'colorize-cnn[train]'); default: onnx for bundled models and .onnx files, keras "
                        "for .keras files")
    parser.add_argument("--working-size", type=int, default=None, help="longest side the network sees, "
                        f"1 to {MAX_WORKING_SIZE} (default: the model's own, the size it learnt at; {WORKING_SIZE} for most)")
    parser.add_argument("--vividness", type=float, default=None, help="0 (the model's safest colours) to 1 (its "
                        "most vivid); default: the model's own, chosen on validation photos")
    parser.add_argument("--balance", type=float, default=None, help="how far each photo's overall colour is pulled "
                        "to neutral: 0 (the network's own guess, often a warm cast) to 1 (no overall cast); default: "
                        "the model's own, chosen on validation photos")
    parser.add_argument("--hints", type=Path, metavar="FILE", help="colours to give at points of the photo (one "
                        'photo only): a JSON list of {"x": ..., "y": ..., "color": "#rrggbb", "radius": ...} in the '
                        "photo's pixels (radius optional), as the web page saves it; uses the hint model unless "
                        "--model names another hint model")
    parser.add_argument("--hint", action="append", default=[], metavar="X,Y,#RRGGBB", help="one hint in short form "
                        "(repeatable; joins --hints): this colour at pixel X,Y (append ,RADIUS for a disc)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    parser.add_argument("--skip-existing", action="store_true", help="leave outputs that already exist and decode "
                        "completely (e.g. after an interrupted folder run); damaged ones are written again")
    parser.add_argument("--png-compression", type=int, default=PNG_COMPRESSION, metavar="0-9",
                        help="zlib level of PNG outputs, 0 (fastest, largest) to 9 (smallest, slowest); "
                        "default: %(default)s, over 2x faster than 6 for files about 17%% larger")
    parser.add_argument("--jpeg-quality", type=int, default=JPEG_QUALITY, metavar="1-100",
                        help="quality of JPEG outputs (default: %(default)s)")
    return parser


def _folder_output_name(path):
    from colorize_cnn.images import OUTPUT_FORMATS

    return path.name if path.suffix.lower() in OUTPUT_FORMATS else path.stem + ".png"


def plan_jobs(inputs, output):
    """List of (input file, output file) and a list of error messages for inputs that give none.

    Outputs that would collide (two inputs to one output name, or an output that is an input) are
    errors here, before any work, and leave no job at all."""
    from colorize_cnn.images import INPUT_SUFFIXES, is_image_file

    jobs, errors = [], []
    kinds = {path: _kind(path) for path in inputs}
    output_kind = _kind(output) if output is not None else None
    if output_kind not in (None, "folder", "file"):
        return [], [f"cannot use the output {output}: {output_kind}; choose another output (-o)."]
    into_folder = output_kind == "folder"
    many = len(inputs) > 1 or "folder" in kinds.values() or into_folder
    if many and output_kind == "file":
        return [], [f"output {output} is a file; with several inputs or a folder, -o must be a folder."]
    for path in inputs:
        if kinds[path] not in (None, "folder", "file"):
            errors.append(f"cannot read {path}: {kinds[path]}.")
        elif kinds[path] == "folder":
            try:
                files = sorted(p for p in path.iterdir() if is_image_file(p))
            except OSError as error:  # no permission to list it, say
                errors.append(f"cannot read the folder {path}: {error.strerror or error}.")
                continue
            if not files:
                errors.append(f"{path} holds no images ({', '.join(INPUT_SUFFIXES)}).")
            folder = path.resolve()  # "." and ".." have no name of their own
            if output is None and not folder.name:
                errors.append(f"cannot name an output folder beside {path}; pass -o FOLDER.")
                continue
            target = output if output is not None else folder.with_name(folder.name + "-color")
            if len(inputs) > 1 and output is not None:
                target = output / folder.name
            jobs.extend((file, target / _folder_output_name(file)) for file in files)
        elif kinds[path] is None:
            errors.append(f"{path} does not exist.")
        elif output is not None and not many:
            jobs.append((path, output))
        elif output is not None:
            jobs.append((path, output / (path.stem + "-color.png")))
        else:
            jobs.append((path, path.with_name(path.stem + "-color.png")))
    return _without_collisions(jobs, errors)


def _kind(path):
    """"folder", "file", None (nothing there), or why the path cannot be looked at (a name too long
    for the file system, a folder without search permission: ``Path.is_dir`` raises for these)."""
    try:
        return "folder" if path.is_dir() else "file" if path.exists() else None
    except OSError as error:
        return error.strerror or str(error)


def _without_collisions(jobs, errors):
    inputs = {source.resolve() for source, _ in jobs}
    by_target = {}
    for source, target in jobs:
        by_target.setdefault(target.resolve(), []).append(source)
    for target, sources in by_target.items():
        if len(sources) > 1:
            errors.append(f"{', '.join(map(str, sources))} would all be written to {target}; colorize them into "
                          "different folders (-o) or rename one.")
        elif target in inputs:
            errors.append(f"{sources[0]} would be written over the input {target}; choose another output (-o).")
    clashing = any(len(sources) > 1 or target in inputs for target, sources in by_target.items())
    return ([] if clashing else jobs), errors  # a clash stops the whole run: nothing is written


def _exists(path):
    try:
        return path.exists()
    except OSError:  # unreachable (name too long, no permission): reported when it is written
        return False


def _complete_image(path):
    """Whether ``path`` is an image that decodes to its end (a finished output, not a cut-short
    one); ``None`` with the reason when it cannot even be read (no permission, a folder): then it
    cannot be checked, and is left as it is."""
    from PIL import Image

    try:
        with open(path, "rb") as stream:
            stream.read(1)
    except OSError as error:
        return None, error.strerror or str(error)
    try:
        with Image.open(path) as image:
            image.load()
        return True, None
    except Exception:  # anything that stops decoding means "not complete": it is written again
        return False, None


def _notes(image, dropped):
    notes = [f"a {image.mode} colour image: converted to gray first"] if image.was_colour else []
    if image.alpha is not None:
        notes.append("transparency not kept: JPEG has none" if "alpha" in dropped else "transparency kept")
    if image.frames > 1:
        notes.append(f"first of {image.frames} pages or frames only")
    return f" ({'; '.join(notes)})" if notes else ""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # the web page (a file named "serve" is ./serve)
        from colorize_cnn.app.serve import main as serve

        return serve(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    encoding = _checked_options(parser, args)
    from colorize_cnn.hints import HintError, parse_short_hint, read_hints_file

    try:
        hints = (read_hints_file(args.hints) if args.hints else ()) + tuple(map(parse_short_hint, args.hint))
    except HintError as problem:
        error(PROGRAM, problem)
        return EXIT_FAILED
    jobs, errors = plan_jobs(args.inputs, args.output)
    if hints and (len(args.inputs) > 1 or _kind(args.inputs[0]) == "folder"):
        error(PROGRAM, "hints name positions in one photo; give them with one input file, not a folder or several "
                       "photos.")
        return EXIT_FAILED
    for message in errors:
        error(PROGRAM, message)
    from colorize_cnn.files import STALE_SECONDS, stale_temporaries

    for leftover in stale_temporaries([target for _, target in jobs], older_than=STALE_SECONDS):
        leftover.unlink(missing_ok=True)  # a killed run's half-written outputs (younger ones may be in progress)
    if args.skip_existing:
        before = len(jobs)
        jobs = _without_finished(jobs, errors)
        if len(jobs) < before and not jobs and not errors:
            return EXIT_OK
    if not jobs:
        return EXIT_FAILED
    return _colorize_jobs(args, jobs, errors, hints, encoding)


def _checked_options(parser, args):
    """The API's own checks of the options, reported as usage errors (exit 2); the output encoding."""
    from colorize_cnn.colorizer import check_working_size
    from colorize_cnn.errors import BadArgumentError
    from colorize_cnn.heads import check_balance, check_vividness
    from colorize_cnn.images import Encoding

    try:
        check_working_size(args.working_size)
        if args.vividness is not None:
            check_vividness(args.vividness)
        if args.balance is not None:
            check_balance(args.balance)
        encoding = Encoding(args.png_compression, args.jpeg_quality)
    except BadArgumentError as problem:
        parser.error(str(problem))
    if args.overwrite and args.skip_existing:
        parser.error("--overwrite and --skip-existing contradict each other; choose one.")
    return encoding


def _without_finished(jobs, errors):
    """``--skip-existing``: the jobs left once outputs that decode whole are skipped; an output that
    cannot be read is left as it is and reported in ``errors``."""
    done = []
    for source, target in jobs:
        if not _exists(target):
            continue
        complete, reason = _complete_image(target)
        if complete:
            done.append((source, target))
            print(f"{source} -> {target} (exists: skipped)", file=sys.stderr)
        elif complete is None:  # it may be a finished output: never replaced unseen
            done.append((source, target))
            errors.append(f"{target} exists but could not be checked ({reason}): left as it is; make it readable, or "
                          "remove it, and run again.")
            error(PROGRAM, errors[-1])
        else:  # never replace somebody's file without a word
            print(f"{PROGRAM}: {target} exists but is not a whole image (cut short, or not an image): written again",
                  file=sys.stderr)
    return [job for job in jobs if job not in done]


def _colorize_jobs(args, jobs, errors, hints, encoding):
    """Loads the model and colorizes ``jobs``, a line per file; returns the exit status."""
    from colorize_cnn.colorize import colorize_files
    from colorize_cnn.colorizer import ModelLoadError, load_colorizer

    try:
        with quiet_tensorflow_start():
            colorizer = load_colorizer(args.model, args.runtime, hints=bool(hints))
    except ModelLoadError as problem:
        error(PROGRAM, problem)
        return EXIT_FAILED
    if hints and not colorizer.takes_hints:
        error(PROGRAM, f"model {args.model} takes no hints; leave out --model (the hint model is used), or pass a "
                       "hint model.")
        return EXIT_FAILED
    from tqdm import tqdm

    failures = len(errors)
    existed = {target for _, target in jobs if _exists(target)}
    results = colorize_files(jobs, colorizer, overwrite=args.overwrite or args.skip_existing,
                             working_size=args.working_size, vividness=args.vividness, encoding=encoding,
                             hints=hints, balance=args.balance)
    try:
        for source, target, image, dropped in tqdm(results, total=len(jobs), disable=len(jobs) < 2, unit="image",
                                                   file=sys.stderr):
            if isinstance(image, BaseException):
                failures += 1
                tqdm.write(f"{PROGRAM}: error: {image}" + (" (skipped)" if len(jobs) > 1 else ""), file=sys.stderr)
                continue
            tqdm.write(f"{source} -> {target}{_notes(image, dropped)}", file=sys.stderr)
    except KeyboardInterrupt:
        results.close()  # the write in progress completes (or leaves nothing) before this returns
        written = sum(_exists(target) and target not in existed for _, target in jobs)
        print(f"{PROGRAM}: interrupted; {written} of {len(jobs)} images were written, the rest were not "
              "(run again with --skip-existing to go on).", file=sys.stderr)
        return EXIT_INTERRUPTED
    if failures:
        print(f"{PROGRAM}: {failures} of {len(jobs) + len(errors)} inputs failed.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def run():
    """The console command: ``main()``, then the quick exit (``console.exit_now``)."""
    try:
        code = main()
    except KeyboardInterrupt:  # before the images (while loading the model): nothing was written
        print(f"{PROGRAM}: interrupted; nothing was written.", file=sys.stderr)
        code = EXIT_INTERRUPTED
    exit_now(code)


if __name__ == "__main__":
    run()
