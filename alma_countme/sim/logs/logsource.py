"""Finding access logs and reading them as records or as a request stream to replay.

Paths may be the directory ``countme-sim generate --out`` wrote (its ``logs/``
is used), any directory (searched for ``*.log``, ``*.log.gz`` and ``*.log.zst``), or log
files. Lines are read by :mod:`alma_countme.sim.logs.logparse`; this module only
orders them: files of one directory are taken in name order (generate names
them by day, each in time order) and directories are merged by time.
"""

import collections
import heapq
import itertools
import operator
import os
from urllib.parse import urlencode

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs import logparse

LOG_SUFFIXES = (".log", ".log.gz", ".log.zst")

StreamRequest = collections.namedtuple("StreamRequest", "time addr method target agent status")
StreamRequest.__doc__ = """One request of a stream to replay: simulated time (epoch seconds), the client's
address (sent as X-Forwarded-For), method, request target (path and query, as logged), User-Agent,
and the status the simulated service answered (None when unknown)."""


def log_files(paths):
    """``{directory: [files in name order]}`` for the given paths; SimError when there are none."""
    groups = {}
    for path in paths:
        if os.path.isdir(path):
            root = os.path.join(path, "logs") if os.path.isdir(os.path.join(path, "logs")) else path
            for directory, subdirs, names in os.walk(root):
                subdirs.sort()
                found = sorted(name for name in names if name.endswith(LOG_SUFFIXES))
                if found:
                    groups.setdefault(directory, []).extend(os.path.join(directory, name) for name in found)
        elif os.path.isfile(path):
            groups.setdefault(os.path.dirname(os.path.abspath(path)), []).append(path)
        else:
            raise SimError("%s: no such file or directory" % path)
    if not groups:
        raise SimError("no access logs (*.log, *.log.gz, *.log.zst) under %s" % ", ".join(paths))
    return groups


def records(paths, skip_unknown=True, skipped=None):
    """Every record of every log under ``paths``, file by file.

    Lines in neither log format are passed over, as mirrors-countme passes
    over lines it does not match, and counted in ``skipped`` (a
    logparse.SkippedLines) when given; with ``skip_unknown=False`` they are a
    SimError naming the file and line.
    """
    for files in log_files(paths).values():
        for path in files:
            yield from _read(path, skip_unknown, skipped)


def _read(path, skip_unknown=False, skipped=None):
    try:
        yield from logparse.read_log(path, errors="skip" if skip_unknown else "raise", skipped=skipped)
    except logparse.LogFormatError as error:
        raise SimError(str(error)) from None
    except OSError as error:
        raise SimError("%s: cannot read: %s" % (path, error.strerror or error)) from None


def _logged(path):
    try:
        yield from logparse.read_requests(path)
    except logparse.LogFormatError as error:
        raise SimError(str(error)) from None
    except OSError as error:
        raise SimError("%s: cannot read: %s" % (path, error.strerror or error)) from None


def logged_streams(paths):
    """The requests of the logs under ``paths``, one stream in time order per directory, each
    request the plain tuple logparse.read_requests gives (the fields of a StreamRequest), for
    readers that merge the streams themselves (the replay feeder, on its hot path)."""
    return [itertools.chain.from_iterable(_logged(path) for path in files)
            for files in log_files(paths).values()]


def merge_by_time(streams, time_of=operator.itemgetter(0)):
    """One stream in time order from time-ordered ``streams``; of requests at the same time, those
    of an earlier stream come first."""
    if len(streams) == 1:
        return iter(streams[0])
    return heapq.merge(*streams, key=time_of)


def replay_requests(paths):
    """The requests of the logs under ``paths`` as one stream in time order (StreamRequest), each
    with its request target exactly as logged."""
    return merge_by_time([map(StreamRequest._make, stream) for stream in logged_streams(paths)])


def as_request(record):
    """The request a log record stands for, as replay sends it."""
    target = record.path
    if record.query:
        target += "?" + urlencode(record.query, safe="/,:")
    return StreamRequest(int(record.time), record.client_addr, record.method, target, record.user_agent,
                         int(record.status))
