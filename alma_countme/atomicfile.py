"""Replacing a file so that a crash leaves the old content or the new, never a mix.

Used for every file the project writes on a system: libdnf's countme cookies,
the opt-out state and the .repo files that opt-out edits. Runs on Python 3.6.
"""

import contextlib
import os
import stat
import tempfile

# Kept on the new file so that an edit does not relabel it (SELinux systems).
_KEPT_XATTRS = ("security.selinux",)


def replace_file(path, data, mode=0o644):
    """Write ``data`` (bytes) to ``path``, symlinks followed, atomically.

    An existing file keeps its mode, owner and SELinux label; a new one gets
    ``mode``. The content is on disk before it takes the old one's place.
    Raises OSError, leaving no temporary file behind.
    """
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except FileNotFoundError:
        info = None
    directory, name = os.path.split(real)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % name, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            _take_metadata(handle.fileno(), real, info, mode)
            os.fsync(handle.fileno())
        os.rename(tmp, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _take_metadata(fd, real, info, mode):
    if info is None:
        os.fchmod(fd, mode)
        return
    if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
        os.fchown(fd, info.st_uid, info.st_gid)
    os.fchmod(fd, stat.S_IMODE(info.st_mode))
    for attribute in _KEPT_XATTRS:
        # No such label here (no SELinux), or not supported by this file system: nothing to keep.
        with contextlib.suppress(OSError, AttributeError):
            os.setxattr(fd, attribute, os.getxattr(real, attribute))
