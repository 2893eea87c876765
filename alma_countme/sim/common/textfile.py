"""Writing a small result file (truth.csv, summary.json, rollout.txt, ...) whole, in one go.

A write that fails (a full disk, a read-only directory) removes the partial
file and raises SimError naming it, so no half-written result is left behind
to be mistaken for a whole one.
"""

import contextlib
import os

from alma_countme.sim.common.errors import SimError


def write_text(path, text):
    """Write ``text`` (UTF-8, newlines as given) to ``path``; SimError, and no file, when that fails."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise SimError("cannot write %s: %s; that file is incomplete and was removed"
                       % (path, error.strerror or error)) from None
