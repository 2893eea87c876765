"""Writing the install epoch into a repo's countme cookie, before libdnf reads it.

libdnf older than 0.73.2 takes a repo's epoch from its cookie, else from the
first window it counts. Putting the Monday-aligned install time in the cookie
first makes it send the bucket libdnf 0.73.2 sends. The cookie's window and
budget stay exactly what libdnf reads from the file now (the cookie module
follows libdnf's reading rules, damage included), so the count's timing is
untouched; only the epoch changes, and the file is only rewritten when it does.

Runs on Python 3.6: standard library only.
"""

import collections
import os

from .cookie import format_cookie, parse_cookie, write_cookie
from .model import DEFAULT_COOKIE

WRITTEN = "written"
UNCHANGED = "unchanged"
FAILED = "failed"

Fix = collections.namedtuple("Fix", "repo_id path action cookie problem")
Fix.__doc__ = """What :func:`fix_cookie` did for one repo: ``action`` is WRITTEN,
UNCHANGED or FAILED; ``cookie`` is the cookie now in force (what libdnf
reads next); ``problem`` explains a failure, or a damaged file that was
rewritten (worth one warning)."""


def is_well_formed(text):
    """True when ``text`` is four integers as libdnf writes them (anything else was damaged)."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return format_cookie(parse_cookie(text)) == text.strip()


def fix_cookie(repo_id, path, install_epoch):
    """Make the cookie at ``path`` carry ``install_epoch``; never raises for file problems."""
    if os.path.isdir(path):
        return Fix(repo_id, path, FAILED, DEFAULT_COOKIE,
                   "the countme cookie %s is a directory, not a file: libdnf cannot keep this repo's "
                   "count there either; remove it" % path)
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("latin-1")
    except FileNotFoundError:
        text = None
    except (IOError, OSError) as exc:
        return Fix(repo_id, path, FAILED, DEFAULT_COOKIE,
                   "cannot read the countme cookie %s: %s" % (path, exc.strerror or exc))
    current = DEFAULT_COOKIE if text is None else parse_cookie(text)
    if current.epoch == install_epoch:
        return Fix(repo_id, path, UNCHANGED, current, None)
    wanted = current._replace(epoch=install_epoch)
    problem = None
    if text is not None and not is_well_formed(text):
        problem = ("the countme cookie %s was damaged (%r); rewrote it as libdnf reads it, with the "
                   "install epoch: %s" % (path, text[:40], format_cookie(wanted)))
    try:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            # libdnf makes this directory the same way (0755) when it first counts.
            os.makedirs(directory, 0o755)
        write_cookie(path, wanted)
    except (IOError, OSError) as exc:
        return Fix(repo_id, path, FAILED, current,
                   "cannot write the install epoch into the countme cookie %s: %s"
                   % (path, exc.strerror or exc))
    return Fix(repo_id, path, WRITTEN, wanted, problem)
