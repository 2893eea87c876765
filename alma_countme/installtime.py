"""When this system was installed: /etc/machine-id's mtime, or the rpm database.

libdnf >= 0.73.2 takes a system's age from the mtime of /etc/machine-id when
that file is valid. The plugin uses the same source by default, and reads the
same file: the running system's /etc/machine-id, also under ``--installroot``,
because that is what libdnf 0.74 and 0.76 and dnf5 read there (shown by
tests/plugin/test_real_clients.py); :data:`RUNNING_ROOT` is that root. The rpm
database's install time (the oldest package's INSTALLTIME, inside
``--installroot``) is shown by ``dnf countme status`` and can be chosen as the
source instead; because querying the database costs far more than the few
stat()s an ordinary dnf run may spend, it is queried once and the answer kept
in a small file under the persistdir.

Runs on Python 3.6: standard library only (the rpm bindings are imported
lazily, only when the database is queried).
"""

import collections
import contextlib
import os

from .model import monday_epoch
from .settings import SOURCE_MACHINE_ID, SOURCE_NONE, SOURCE_RPMDB

MACHINE_ID_PATH = "/etc/machine-id"
# The root whose machine-id gives the install time: the running system's, never the
# installroot's (as upstream libdnf and dnf5). Tests of single units point it elsewhere.
RUNNING_ROOT = "/"
UNINITIALIZED = b"uninitialized"
RPMDB_CACHE_NAME = "countme-rpmdb-installtime"
# A machine-id holds 32 hex digits and a newline; read a little more to see "uninitialized".
_MACHINE_ID_READ = 64

MachineId = collections.namedtuple("MachineId", "path valid mtime problem in_future")
MachineId.__doc__ = """``/etc/machine-id`` under a root: ``valid`` when it exists, is not
empty, does not hold ``uninitialized`` and its mtime is not in the future;
``problem`` says why not; ``in_future`` flags the one problem that points at a
wrong clock rather than at a system without a machine-id."""

InstallTime = collections.namedtuple("InstallTime", "source time epoch problem in_future")
InstallTime.__doc__ = """The install time the plugin uses: ``source`` (a settings.SOURCE_*
name, None when there is none), ``time`` (seconds), ``epoch`` (its Monday,
what goes into cookies), ``problem`` (why there is none) and ``in_future``
(the source's time is after now: worth a warning)."""


def no_install_time(problem, in_future=False):
    return InstallTime(None, None, None, problem, in_future)


def in_root(root, path):
    """``path`` (absolute) as seen inside installroot ``root``."""
    return os.path.join(root or "/", path.lstrip("/"))


def machine_id(root, now):
    """The state of ``<root>/etc/machine-id`` at time ``now``: one stat() and one small read."""
    path = in_root(root, MACHINE_ID_PATH)
    try:
        with open(path, "rb") as handle:
            mtime = int(os.fstat(handle.fileno()).st_mtime)
            content = handle.read(_MACHINE_ID_READ)
    except FileNotFoundError:
        return MachineId(path, False, None, "%s does not exist" % path, False)
    except (IOError, OSError) as exc:
        return MachineId(path, False, None, "cannot read %s: %s" % (path, exc.strerror or exc), False)
    content = content.strip()
    if not content:
        return MachineId(path, False, mtime, "%s is empty" % path, False)
    if content == UNINITIALIZED:
        return MachineId(path, False, mtime, "%s holds 'uninitialized'" % path, False)
    if mtime > now:
        return MachineId(
            path, False, mtime,
            "%s was modified in the future (mtime %d is %d s after now)" % (path, mtime, mtime - now), True,
        )
    return MachineId(path, True, mtime, None, False)


def libdnf_machine_id_mtime(root):
    """The mtime libdnf >= 0.73.2 and dnf5 take from ``<root>/etc/machine-id``, or None.

    Their get_system_epoch(): the file must stat with a non-zero size and its first
    word must not be ``uninitialized``; a file of white space only, or with an mtime
    in the future, still counts (checked against the real clients by
    tests/plugin/test_real_clients.py). The plugin is stricter for its own writes
    (:func:`machine_id`), but predicting those libdnf versions needs this rule.
    """
    return libdnf_machine_id_file_mtime(in_root(root, MACHINE_ID_PATH))


def libdnf_machine_id_file_mtime(path):
    """:func:`libdnf_machine_id_mtime` for the machine-id file at ``path``."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            mtime = int(os.fstat(handle.fileno()).st_mtime)
            try:
                words = handle.read(_MACHINE_ID_READ).split()
            except (IOError, OSError):
                words = []  # a directory: the C++ stream reads nothing
    except (IOError, OSError):
        return None
    if not size or words[:1] == [UNINITIALIZED]:
        return None
    return mtime


def rpmdb_path(root):
    """The rpm database directory under ``root``, as the rpm library is configured."""
    import rpm  # only when the database is looked at: a heavy import for an ordinary run

    return in_root(root, rpm.expandMacro("%{_dbpath}"))


def query_rpmdb_install_time(root):
    """The oldest INSTALLTIME of an installed package under ``root`` (gpg-pubkey aside).

    Returns ``(time, problem)``. Never creates a database where there is none
    (the rpm library would).
    """
    try:
        import rpm
    except ImportError:
        return None, "the rpm Python bindings are not installed"
    dbpath = rpmdb_path(root)
    if not os.path.isdir(dbpath) or not os.listdir(dbpath):
        return None, "no rpm database at %s" % dbpath
    ts = rpm.TransactionSet(root or "/")
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    try:
        times = [
            header[rpm.RPMTAG_INSTALLTIME]
            for header in ts.dbMatch()
            if header[rpm.RPMTAG_NAME] != "gpg-pubkey" and header[rpm.RPMTAG_INSTALLTIME]
        ]
    except rpm.error as exc:
        return None, "cannot read the rpm database at %s: %s" % (dbpath, exc)
    finally:
        ts.closeDB()
    if not times:
        return None, "no installed packages in the rpm database at %s" % dbpath
    return min(times), None


def rpmdb_cache_path(persistdir):
    return os.path.join(persistdir, RPMDB_CACHE_NAME)


def read_rpmdb_cache(persistdir):
    """The install time kept from an earlier query, or None (missing or unreadable file)."""
    try:
        with open(rpmdb_cache_path(persistdir)) as handle:
            return int(handle.read(64).strip())
    except (IOError, OSError, ValueError):
        return None


def write_rpmdb_cache(persistdir, when):
    """Keep ``when`` for later runs (atomically). Raises OSError when it cannot."""
    path = rpmdb_cache_path(persistdir)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as handle:
        handle.write("%d\n" % when)
    os.rename(tmp, path)


def rpmdb_install_time(root, persistdir, now, may_write):
    """The rpm database's install time for the epoch: the kept value, else one query.

    The first value found is kept on purpose: the oldest surviving package only
    gets younger as packages are updated, the install date does not.
    Returns ``(time, problem)``; a time in the future comes with a problem.
    """
    when = read_rpmdb_cache(persistdir)
    if when is None:
        when, problem = query_rpmdb_install_time(root)
        if when is None:
            return None, problem
        if may_write:
            # If it cannot be kept, the next run queries again: slower, still right.
            with contextlib.suppress(IOError, OSError):
                write_rpmdb_cache(persistdir, when)
    if when > now:
        return when, "the rpm database's install time %d is %d s in the future" % (when, when - now)
    return when, None


def install_time(source, root, persistdir, now, may_write=False):
    """The InstallTime for the configured ``source`` (a settings.SOURCE_* name)."""
    if source == SOURCE_NONE:
        return no_install_time("epoch_source=none: libdnf decides")
    if source == SOURCE_MACHINE_ID:
        found = machine_id(RUNNING_ROOT, now)
        if not found.valid:
            return no_install_time(found.problem, found.in_future)
        return InstallTime(SOURCE_MACHINE_ID, found.mtime, monday_epoch(found.mtime), None, False)
    if source == SOURCE_RPMDB:
        when, problem = rpmdb_install_time(root, persistdir, now, may_write)
        if problem:
            return no_install_time(problem, when is not None)
        return InstallTime(SOURCE_RPMDB, when, monday_epoch(when), None, False)
    raise ValueError("unknown install time source %r" % (source,))
