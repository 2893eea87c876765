"""Access-log lines in bulk: fixed-width byte tables gathered with numpy, padding dropped at the end.

A line is three parts: the client address, the time (`` - - [DD/Mon/YYYY:HH:MM:SS
+0000] ``) and everything after it (request, status, bytes, referer,
User-Agent, and for the AlmaLinux format the quoted REMOTE_ADDR). Each part
comes from a table of rows padded with zero bytes: one row per distinct
address or distinct suffix of the file, one per second of the day. A chunk of
lines is gathered into a 2-D byte array row by row, and the zero bytes are
removed in one pass (``bytes.replace``), which leaves the lines back to back.
"""

import gzip
import os
import time

import numpy as np

from alma_countme.sim import catalog as cat
from alma_countme.sim import network
from alma_countme.sim.arrays import distinct_inverse
from alma_countme.sim.errors import SimError
from alma_countme.sim.week import decode_suffix_key

DAY = 86400
CHUNK = 65536
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIME_TEMPLATE = " - - [%02d/%s/%04d:00:00:00 +0000] "
TIME_WIDTH = len(_TIME_TEMPLATE % (1, "Jan", 2000))
_CLOCK_COLUMN = TIME_WIDTH - len("00:00:00 +0000] ")


def remote_addr(server):
    """The address the service's proxy logs as REMOTE_ADDR for node ``server`` (0-based)."""
    return "10.20.%d.%d" % (server // 200, server % 200 + 11)


def time_table(day_start):
    """86400 rows: the time part of a line for each second of the day starting at ``day_start``."""
    year, month, mday = time.gmtime(day_start)[:3]
    template = np.frombuffer((_TIME_TEMPLATE % (mday, _MONTHS[month - 1], year)).encode("ascii"), np.uint8)
    table = np.tile(template, (DAY, 1))
    second = np.arange(DAY)
    digits = ord("0")
    for column, value in ((0, second // 3600), (3, second // 60 % 60), (6, second % 60)):
        table[:, _CLOCK_COLUMN + column] = digits + value // 10
        table[:, _CLOCK_COLUMN + column + 1] = digits + value % 10
    return table


_SUFFIXES = {}  # (format, key, server) -> text: the same few thousand recur in every file


def suffix_text(key, catalog, server):
    """Everything after the time for a line with suffix key ``key``."""
    cache_key = (catalog.format, key, server if catalog.format == "almalinux" else 0)
    text = _SUFFIXES.get(cache_key)
    if text is None:
        text = _SUFFIXES[cache_key] = _suffix_text(key, catalog, server)
    return text


def _suffix_text(key, catalog, server):
    path, countme, status, method, agent = decode_suffix_key(key, catalog)
    text = '"%s %s %s" %d %d "-" "%s"' % (
        cat.METHODS[method], catalog.request_target(path, countme), cat.PROTOCOL, cat.STATUSES[status],
        catalog.response_bytes(path, status, method), catalog.agents[agent])
    if catalog.format == "almalinux":
        text += ' "%s"' % remote_addr(server)
    return text + "\n"


def _padded(texts):
    width = max(len(t) for t in texts)
    table = np.zeros((len(texts), width), np.uint8)
    for index, text in enumerate(texts):
        data = text.encode("utf-8")
        table[index, :len(data)] = np.frombuffer(data, np.uint8)
    return table


_TIMES = {}  # day start -> its time table; a process writes a few days at a time


def _time_table(day_start):
    if day_start not in _TIMES:
        if len(_TIMES) >= 4:
            _TIMES.pop(next(iter(_TIMES)))
        _TIMES[day_start] = time_table(day_start)
    return _TIMES[day_start]


def render(lines, addresses, catalog, day_start, server):
    """Yield the bytes of ``lines`` (a LINE_DTYPE array in time order), chunk by chunk.

    ``addresses`` holds the address rows the lines' ``addr`` fields index.
    """
    if not len(lines):
        return
    suffixes, suffix_index = distinct_inverse(lines["skey"])
    suffix_rows = _padded([suffix_text(key, catalog, server) for key in suffixes])
    times = _time_table(day_start)
    second = lines["t"] - day_start
    if second.min() < 0 or second.max() >= DAY:
        raise ValueError("a line outside its day")
    address_index = lines["addr"]
    a, t = network.ADDRESS_WIDTH, TIME_WIDTH
    width = a + t + suffix_rows.shape[1]
    size = min(CHUNK, len(lines))
    # A bytearray seen as a 2-D array: rows are written in place, then translated without a copy.
    buffer = bytearray(size * width)
    rows_all = np.frombuffer(buffer, np.uint8).reshape(size, width)
    for begin in range(0, len(lines), CHUNK):
        end = min(begin + CHUNK, len(lines))
        rows = rows_all[:end - begin]
        rows[:, :a] = addresses[address_index[begin:end]]
        rows[:, a:a + t] = times[second[begin:end]]
        rows[:, a + t:] = suffix_rows[suffix_index[begin:end]]
        data = buffer if end - begin == size else memoryview(buffer)[:(end - begin) * width].tobytes()
        yield data.translate(None, b"\0")


def write_file(path, chunks, compress_level=None):
    """Write ``chunks`` to ``path`` (gzip when ``compress_level`` is set, with no name or time in
    its header, so that equal input gives equal bytes); SimError naming the file on failure."""
    try:
        with open(path, "wb") as raw:
            if compress_level is None:
                for chunk in chunks:
                    raw.write(chunk)
            else:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=compress_level,
                                   mtime=0) as packed:
                    for chunk in chunks:
                        packed.write(chunk)
    except OSError as error:
        removed = "was removed"
        try:
            os.unlink(path)
        except OSError:
            removed = "may be left behind"
        raise SimError("cannot write %s: %s; that file is incomplete and %s"
                       % (path, error.strerror or error, removed)) from None
