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
    """The JSON beside a saved model that records how to decode it (its default vividness)."""
    return Path(model_path).with_suffix(".json")


class OutputExistsError(FileExistsError):
    """``atomic_output(..., replace=False)`` found its path taken (maybe by another process meanwhile)."""


@contextlib.contextmanager
def atomic_output(path, durable=False, replace=True):
    """Yields a temporary path beside ``path`` (same suffixes); renames it to ``path`` on success.

    On any error the temporary file is removed and ``path`` is left as it was. A kill leaves the
    hidden temporary file behind (``.<name>.<random><suffixes>``): ``stale_temporaries`` finds
    them, folder runs never read hidden files, and each later write to ``path`` removes those
    over an hour old. ``durable``: the data reaches the disk (fsync) before the rename, so
    even a power cut leaves either the old file or the whole new one. ``replace=False``: an
    existing ``path`` is never replaced, even one created meanwhile by another process (the new
    file is linked into place, which fails if the name exists): raises ``OutputExistsError``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_temporaries(path, older_than=STALE_SECONDS):
        stale.unlink(missing_ok=True)
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


def stale_temporaries(path, older_than=0.0):
    """Temporary files that ``atomic_output(path)`` left behind when killed, last modified more
    than ``older_than`` seconds ago."""
    import re
    import time

    path = Path(path)
    pattern = re.compile(re.escape(f".{_stem(path)}.") + r"[A-Za-z0-9_]{8}" + re.escape("".join(path.suffixes)) + "$")
    if not path.parent.is_dir():
        return []
    now = time.time()
    return [candidate for candidate in path.parent.iterdir()
            if pattern.match(candidate.name) and now - candidate.stat().st_mtime > older_than]


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(data, path):
    with atomic_output(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2) + "\n")
