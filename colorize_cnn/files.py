"""Writing outputs so that nothing half-written is ever left behind."""

import contextlib
import json
import os
import tempfile
from pathlib import Path


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
