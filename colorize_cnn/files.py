"""Where runs keep their files, and writing outputs so that nothing half-written is left behind.

An experiment's run folder (``runs/<name>/`` by default) holds ``MODEL_FILE`` (the trained
network), ``DECODING_FILE`` beside it (the vividness chosen on validation images), ``HISTORY_FILE``
(one row per epoch), ``CONFIG_FILE`` (the training config, to tell a finished run from a new one),
``METRICS_FILE`` and the run's figures; ``BACKUP_DIR`` exists only while training is unfinished.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path

RUNS_DIR = Path("runs")
README_ASSETS = Path("README-assets")  # where full runs write the README's figures (from a clone's root)
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
CONFIG_FILE = "train_config.json"
METRICS_FILE = "metrics.json"
BACKUP_DIR = "backup"


def decoding_path(model_path):
    """The JSON beside a saved model that records how to decode it (its default vividness and
    balance, as ``decoding.choose_decoding`` chose them, and its working size where not 64)."""
    return Path(model_path).with_suffix(".json")


def write_decoding(decoding, model_path):
    """Records a model's chosen decoding beside its ``.keras`` file (``decoding_path``)."""
    write_json(decoding, decoding_path(model_path))


def read_decoding(model_path):
    """The decoding recorded beside a model file (``write_decoding``'s dict), or ``{}``."""
    path = decoding_path(model_path)
    return json.loads(path.read_text()) if path.is_file() else {}


def check_writable_folder(folder, what="run folder", option="--out"):
    """Checks, without creating anything, that ``folder`` is or can become a folder this process
    can write in; a ``UserError`` naming it and the fix if not (a file of that name or above it, no
    permission, a read-only disk, a name too long)."""
    from colorize_cnn.errors import UserError

    folder = Path(folder)
    try:
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise UserError(f"{what} {folder} is a file, or lies under one ({existing}); pass a folder ({option}).")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".write-check-"):
            pass
    except OSError as error:
        raise UserError(f"cannot write {what} {folder} ({error.strerror or error}); pass a folder you can write "
                        f"({option}).") from None
    return folder


class OutputExistsError(FileExistsError):
    """``atomic_output(..., replace=False)`` found its path taken (maybe by another process meanwhile)."""


@contextlib.contextmanager
def atomic_output(path, durable=False, replace=True):
    """Yields a temporary path beside ``path`` (same suffixes); renames it to ``path`` on success.

    On any error the temporary file is removed and ``path`` is left as it was. A kill leaves the
    hidden temporary file behind (``.<name>.<random><suffixes>``): ``stale_temporaries`` finds
    them (the command line and training remove them once at start), and folder runs never read
    hidden files. ``durable``: the data reaches the disk (fsync) before the rename, so
    even a power cut leaves either the old file or the whole new one. ``replace=False``: an
    existing ``path`` is never replaced, even one created meanwhile by another process (the new
    file is linked into place, which fails if the name exists): raises ``OutputExistsError``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{_stem(path)}.", suffix="".join(path.suffixes), dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        if durable:
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes it private; give it a normal file's mode
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # atomic, and refuses an existing name
            except FileExistsError:
                raise OutputExistsError(f"{path} exists") from None
            os.remove(temporary)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


STALE_SECONDS = 3600  # a temporary file this old is a killed write's leftover, not one in progress


def _stem(path):
    return path.name[: len(path.name) - len("".join(path.suffixes))] or path.name


def stale_temporaries(targets, older_than=0.0):
    """Temporary files that ``atomic_output`` left behind when killed while writing one of
    ``targets``, last modified more than ``older_than`` seconds ago. Each folder is listed once.
    """
    import time

    by_folder = {}
    for target in map(Path, targets):
        # the name of a leftover with its 8 random characters taken out
        by_folder.setdefault(target.parent, set()).add(f".{_stem(target)}.{''.join(target.suffixes)}")
    now, leftovers = time.time(), []
    for folder, keys in by_folder.items():
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            name = entry.name
            if name.startswith(".") and any(name[:start] + name[start + 8:] in keys for start in range(2, len(name) - 7)
                                            if name[start - 1] == "." and name[start + 8:start + 9] in (".", "")):
                if now - entry.stat().st_mtime > older_than:
                    leftovers.append(Path(entry.path))
    return leftovers


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(data, path):
    with atomic_output(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2) + "\n")
