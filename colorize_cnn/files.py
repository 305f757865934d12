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


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path beside ``path`` (same suffix); renames it to ``path`` on success.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix="".join(path.suffixes[-1:]), dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes it private; give it a normal file's mode
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(data, path):
    with atomic_output(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2) + "\n")
