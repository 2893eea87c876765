"""Copies of checkout files that any user can read, for tests that run a program as another user.

The checkout may sit where other users cannot enter (a clone in a ``mktemp -d``
folder is mode 0700), and pytest's own temporary directories are 0700 too: a
program run as ``nobody`` gets its files from a copy in a fresh world-readable
directory under the system's temporary directory, removed at the end.
"""

import glob
import os
import shutil
import tempfile

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def public_copy(patterns):
    """A new directory (mode 0755) holding the checkout files matching ``patterns``, same layout.

    Returns its path; the caller removes it with :func:`remove`.
    """
    top = tempfile.mkdtemp(prefix="alma-countme-public-")
    try:
        os.chmod(top, 0o755)
        for pattern in patterns:
            matches = glob.glob(os.path.join(CHECKOUT, pattern))
            if not matches:
                raise FileNotFoundError("no checkout file matches %s" % pattern)
            for source in matches:
                target = os.path.join(top, os.path.relpath(source, CHECKOUT))
                _make_public_dirs(top, os.path.dirname(target))
                shutil.copyfile(source, target)
                os.chmod(target, 0o755 if os.access(source, os.X_OK) else 0o644)
    except BaseException:
        remove(top)
        raise
    return top


def _make_public_dirs(top, directory):
    os.makedirs(directory, exist_ok=True)
    while directory != top:
        os.chmod(directory, 0o755)
        directory = os.path.dirname(directory)


def remove(top):
    shutil.rmtree(top, ignore_errors=True)
