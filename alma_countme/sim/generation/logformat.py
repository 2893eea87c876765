"""Access-log lines in bulk: fixed-width byte tables gathered with numpy, padding dropped at the end.

A line is three parts: the client address, the time (`` - - [DD/Mon/YYYY:HH:MM:SS
+0000] ``) and everything after it (request, status, bytes, referer,
User-Agent, and for the AlmaLinux format the quoted REMOTE_ADDR). Each part
comes from a table of rows padded with zero bytes: one row per distinct
address or distinct suffix of the file, one per second of the day. A chunk of
lines is gathered into a 2-D byte array row by row, and the zero bytes are
removed in one pass (``bytes.replace``), which leaves the lines back to back.
"""

import os
import time

import numpy as np

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.generation import network
from alma_countme.sim.generation.linerecords import decode_suffix_key
from alma_countme.sim.logs.outfile import OutputFile

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


def suffix_text(key, catalog):
    """A line's text after the time, up to the User-Agent's closing quote, for suffix key ``key``."""
    # The same few thousand recur in every file: keep them with the catalog that gives them meaning.
    cache = catalog.__dict__.setdefault("_suffix_texts", {})
    text = cache.get(int(key))
    if text is None:
        path, countme, status, method, agent = decode_suffix_key(key, catalog)
        text = cache[int(key)] = '"%s %s %s" %d %d "-" "%s"' % (
            cat.METHODS[method], catalog.request_target(path, countme), cat.PROTOCOL, cat.STATUSES[status],
            catalog.response_bytes(path, status, method), catalog.agents[agent])
    return text


def line_end(catalog, server):
    """What ends every line of node ``server``'s log: AlmaLinux's quoted REMOTE_ADDR, and the newline."""
    if catalog.format == "almalinux":
        return ' "%s"\n' % remote_addr(server)
    return "\n"


def suffix_table(keys, catalog):
    """Rows of suffix text for suffix keys (zero bytes as padding)."""
    if not len(keys):
        return np.zeros((0, 1), np.uint8)
    # Every file asks again for the few thousand suffixes of the scenario: keep their bytes.
    cache = catalog.__dict__.setdefault("_suffix_bytes", {})
    texts = []
    for key in keys.tolist():
        data = cache.get(key)
        if data is None:
            data = cache[key] = suffix_text(key, catalog).encode("utf-8")
        texts.append(data)
    return _padded(texts)


def _padded(texts):
    """A 2-D byte table, one row per bytes object of ``texts``, padded with zero bytes."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    table = np.zeros((len(texts), int(lengths.max())), np.uint8)
    # Row-major order of the cells before each row's length is the order of the joined bytes.
    table[np.arange(table.shape[1]) < lengths[:, None]] = np.frombuffer(b"".join(texts), np.uint8)
    return table


def render(lines, addresses, suffixes, times, day_start, end):
    """Yield the bytes of ``lines`` (a LINE_DTYPE array in time order), chunk by chunk.

    ``addresses`` and ``suffixes`` are the tables the lines' ``addr`` and
    ``suffix`` fields index, ``times`` the day's :func:`time_table`, whose
    first second is ``day_start`` on the lines' clock; ``end`` closes every line.
    """
    if not len(lines):
        return
    second = lines["t"] - day_start
    if second.min() < 0 or second.max() >= DAY:
        raise ValueError("a line outside its day")
    tail = end.encode("ascii")
    a, t, s = network.ADDRESS_WIDTH, TIME_WIDTH, suffixes.shape[1]
    # A line as a record of four fixed-width fields; np.take fills each field for a chunk of lines
    # straight from its table (rows seen as single opaque items), then translate drops the padding.
    record = np.dtype([("a", "V%d" % a), ("t", "V%d" % t), ("s", "V%d" % s), ("e", "V%d" % len(tail))])
    size = min(CHUNK, len(lines))
    buffer = bytearray(size * record.itemsize)
    records = np.frombuffer(buffer, record)
    records["e"] = np.frombuffer(tail, "V%d" % len(tail))[0]
    address_items = np.ascontiguousarray(addresses).view("V%d" % a).ravel()
    time_items = times.view("V%d" % t).ravel()
    suffix_items = np.ascontiguousarray(suffixes).view("V%d" % s).ravel()
    for begin in range(0, len(lines), CHUNK):
        end_row = min(begin + CHUNK, len(lines))
        chunk = records[:end_row - begin]
        np.take(address_items, lines["addr"][begin:end_row], out=chunk["a"], mode="clip")
        np.take(time_items, second[begin:end_row], out=chunk["t"], mode="clip")
        np.take(suffix_items, lines["suffix"][begin:end_row], out=chunk["s"], mode="clip")
        if end_row - begin == size:
            data = buffer
        else:
            data = memoryview(buffer)[:(end_row - begin) * record.itemsize].tobytes()
        yield data.translate(None, b"\0")


def write_file(path, chunks, compression=None):
    """Write ``chunks`` to ``path``, compressed by ``compression`` (a
    :class:`~alma_countme.sim.logs.compression.Compression`) unless it is None; SimError naming the
    file on failure."""
    output = None
    try:
        output = OutputFile(path)
        if compression is None:
            for chunk in chunks:
                output.write(chunk)
        else:
            packed = compression.writer(output)
            for chunk in chunks:
                packed.write(chunk)
            packed.close()
        output.close()
    except OSError as error:
        if output is not None:
            output.abandon()
        removed = "was removed"
        try:
            os.unlink(path)
        except OSError:
            removed = "may be left behind"
        raise SimError("cannot write %s: %s; that file is incomplete and %s"
                       % (path, error.strerror or error, removed)) from None
