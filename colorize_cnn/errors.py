"""The package's own error types, and the one way entry points report them.

A ``UserError`` is a problem with what the user gave (a data set, an image, a model file, an
argument); its message names the problem and the fix. Entry points print it as one line and exit
with status 1. Any other exception is a bug in the package and keeps its traceback.
"""

import contextlib
import dataclasses
import sys


class UserError(Exception):
    """Bad input: a data set, an image, a model, an argument. The message says how to fix it."""


def shown(value, limit=60):
    """``repr(value)`` cut short, for messages: a message never echoes a long value back in full."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to write out
        return "<a number of thousands of digits>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class BadArgumentError(UserError, ValueError):
    """An argument out of its range (a vividness, a working size, a training setting)."""


@dataclasses.dataclass
class ExitStatus:
    code: int = 0


@contextlib.contextmanager
def report_errors(prefix="error"):
    """Turns a ``UserError`` raised inside into one line on stderr and ``status.code = 1``."""
    status = ExitStatus()
    try:
        yield status
    except UserError as error:
        print(f"{prefix}: {error}", file=sys.stderr)
        status.code = 1
