"""libdnf's per-repo countme cookie: its text, its reading quirks and its path.

libdnf reads the cookie with ``std::ifstream(f) >> ver >> epoch >> win >> budget``
and never checks for errors, so a damaged file does not reset to defaults: the
C++ stream rules decide. :func:`parse_cookie` follows those rules exactly, which
is what lets the plugin and the tests predict real libdnf on garbage files.

Runs on Python 3.6: standard library only.
"""

import hashlib
import os

from .atomicfile import replace_file
from .model import COOKIE_VERSION, DEFAULT_COOKIE, Cookie

COOKIE_NAME = "countme"
HASH_HEX_DIGITS = 16

_INT32 = (-(1 << 31), (1 << 31) - 1)
_INT64 = (-(1 << 63), (1 << 63) - 1)
# The C locale's isspace(): what the stream skips before a number.
_SPACE = " \t\n\v\f\r"
_DIGITS = "0123456789"


def _extract(text, pos, limits):
    """One ``stream >> integer``: returns (value or None if untouched, new pos, ok).

    Rules of libstdc++ (C++11): leading white space is skipped; at end of input
    the target is left as it was; a field with no digits stores 0; a value out
    of range stores the nearest limit; the last two set failbit, which makes
    every later ``>>`` a no-op.
    """
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    if pos == len(text):
        return None, pos, False
    start = pos
    if text[pos] in "+-":
        pos += 1
    digits_start = pos
    while pos < len(text) and text[pos] in _DIGITS:
        pos += 1
    if pos == digits_start:
        return 0, pos, False
    value = int(text[start:pos])
    # Out of range (of long while parsing, or of int when narrowing): the limit.
    low, high = limits
    if value < low or value > high:
        return (low if value < 0 else high), pos, False
    return value, pos, True


def parse_cookie(text):
    """The Cookie libdnf reads from ``text`` (str or bytes), defaults where it reads nothing."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    fields = list(DEFAULT_COOKIE)
    pos = 0
    for index, limits in enumerate((_INT32, _INT64, _INT64, _INT32)):
        value, pos, ok = _extract(text, pos, limits)
        if value is not None:
            fields[index] = value
        if not ok:
            break
    return Cookie(*fields)


def format_cookie(cookie):
    """The exact bytes libdnf writes: four integers, single spaces, no newline."""
    return "%d %d %d %d" % (COOKIE_VERSION, cookie.epoch, cookie.window, cookie.budget)


def read_cookie(path):
    """The Cookie libdnf would read at ``path``.

    A missing, unreadable or directory path reads as the defaults, as an
    ``ifstream`` that fails to open or read does.
    """
    try:
        with open(path, "rb") as handle:
            return parse_cookie(handle.read())
    except (IOError, OSError):
        return DEFAULT_COOKIE


def write_cookie(path, cookie):
    """Write ``cookie`` atomically in libdnf's format (a new file gets libdnf's 0644).

    Raises OSError when it cannot; the caller decides whether that matters.
    """
    replace_file(path, format_cookie(cookie).encode("ascii"))


def hash_source(repo_id, metalink=None, mirrorlist=None, baseurls=()):
    """The string libdnf hashes for a repo's directory name: first of metalink,
    mirrorlist, first baseurl, id that is non-empty (after variable substitution)."""
    for candidate in (metalink, mirrorlist, baseurls[0] if baseurls else None):
        if candidate:
            return candidate
    return repo_id


def repo_dir_name(repo_id, metalink=None, mirrorlist=None, baseurls=()):
    """``<id>-<16 hex digits of SHA-256>``, libdnf's cache and persist directory name."""
    source = hash_source(repo_id, metalink, mirrorlist, baseurls)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return "%s-%s" % (repo_id, digest[:HASH_HEX_DIGITS])


def cookie_path(persistdir, repo_id, metalink=None, mirrorlist=None, baseurls=()):
    """``<persistdir>/repos/<id>-<hash>/countme``."""
    return os.path.join(
        persistdir, "repos", repo_dir_name(repo_id, metalink, mirrorlist, baseurls), COOKIE_NAME
    )


def is_countable(metalink=None, mirrorlist=None):
    """libdnf only counts repos that have a metalink or a mirrorlist."""
    return bool(metalink) or bool(mirrorlist)
