"""Access-log lines in bulk: each field copied with numpy straight to its place in the output.

A line is three parts: the client address, the time (`` - - [DD/Mon/YYYY:HH:MM:SS
+0000] ``) and its ending (request, status, bytes, referer, User-Agent, for the
AlmaLinux format the quoted REMOTE_ADDR, and the newline). Each part comes from a
table: one row per distinct address or distinct suffix of the file, one per
second of the day. The tables' rows are packed back to back without their zero
bytes (padding), and for a run of lines the positions of every field follow from
the lengths (a cumulative sum). Each field is then one numpy copy for all the
lines: fixed-width items, the table's widest, written in an order where the
bytes an item carries beyond its field are overwritten later (see ``_fill``).
Nothing runs per line in Python, and no padded copy of the lines is made and squeezed.
"""

import os
import time

import numpy as np

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.generation.linerecords import decode_suffix_key
from alma_countme.sim.logs.outfile import OutputFile

DAY = 86400
CHUNK = 65536  # lines a chunk yields: compressors see the same pieces whoever writes the file
_PACK_ROWS = 65536  # table rows packed at a time
_NEWLINE = ord("\n")
_PART = 8192  # lines filled at a time: the copies of a part stay in the processor's cache
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


def suffix_bytes(keys, catalog):
    """The suffix text of each of the suffix keys ``keys``, encoded: a list of bytes."""
    # Every file asks again for the few thousand suffixes of the scenario: keep their bytes.
    cache = catalog.__dict__.setdefault("_suffix_bytes", {})
    texts = []
    for key in keys.tolist():
        data = cache.get(key)
        if data is None:
            data = cache[key] = suffix_text(key, catalog).encode("utf-8")
        texts.append(data)
    return texts


def render(lines, addresses, suffixes, times, day_start, end):
    """The bytes of ``lines`` (a LINE_DTYPE array in time order), as an iterator of chunks.

    ``addresses`` is a list of :func:`address_lines` arrays (or of their
    :class:`AddressText`) whose addresses, one array after the other, the
    lines' ``addr`` field indexes; ``suffixes`` the
    list of texts (:func:`suffix_bytes`) their ``suffix`` field indexes;
    ``times`` the day's :func:`time_table`, whose first second is ``day_start``
    on the lines' clock; ``end`` closes every line.
    The addresses are copied at once, so the caller may drop its own (they are
    the largest part of a file's memory). Each chunk is a memoryview of a buffer
    that the next chunk reuses.
    """
    if not len(lines):
        return iter(())
    second = lines["t"] - day_start
    if second.min() < 0 or second.max() >= DAY:
        raise ValueError("a line outside its day")
    address = _Packed.of_lines(addresses)
    tail = end.encode("ascii")
    ending = _Packed.of_texts([text + tail for text in suffixes])
    clock = _Packed.of_rows(times)
    return _chunks(lines, second, address, clock, ending)


def _chunks(lines, second, address, clock, ending):
    """Chunks of CHUNK lines each, filled _PART lines at a time into one reused buffer."""
    bands = _address_bands(address, clock.width)
    longest = address.width + clock.width + ending.width
    buffer = np.empty(min(CHUNK, len(lines)) * longest + longest, np.uint8)
    for begin in range(0, len(lines), CHUNK):
        end_row = min(begin + CHUNK, len(lines))
        filled = 0
        for part in range(begin, end_row, _PART):
            rows = slice(part, min(part + _PART, end_row))
            filled = _fill(buffer, filled, lines["addr"][rows], second[rows], lines["suffix"][rows],
                           address, clock, ending, bands)
        yield memoryview(buffer)[:filled]


def _fill(buffer, filled, addr, second, suffix, address, clock, ending, bands):
    """Write the lines given by row indices into ``buffer`` from byte ``filled``; returns the new end.

    Every field is copied as a fixed-width item (its table's widest), starting where it belongs:
    what an item has beyond its field lands on bytes that a later copy overwrites. So the endings
    (suffix and line end) go first, each in line order (an ending's excess falls on later lines;
    numpy's indexed assignment writes in index order, which the test of render checks),
    then addresses (their excess falls on the time, never past it, see _address_bands), then times.
    """
    address_first, address_length = address.find(addr)
    ending_length = ending.lengths[suffix]
    stops = np.cumsum(address_length + ending_length + clock.width) + filled
    time_at = stops - ending_length - clock.width
    ending.copy(buffer, time_at + clock.width, ending.starts[suffix])
    starts = time_at - address_length
    if bands is None:
        address.copy(buffer, starts, address_first)
    else:
        for width, members in bands(address_length):
            address.copy(buffer, starts[members], address_first[members], width)
    clock.copy(buffer, time_at, clock.starts[second])
    return int(stops[-1])


class _Packed:
    """Texts back to back in one byte array, readable as fixed-width items that start at any byte
    (an item runs on into the texts after it; the array has room for the last one)."""

    def __init__(self, data, starts, lengths):
        self.lengths = lengths
        self.starts = starts
        self.width = max(int(lengths.max()), 1) if len(lengths) else 1
        self.data = np.zeros(len(data) + self.width, np.uint8)
        self.data[:len(data)] = data
        self.items = {}
        self.bounds = None  # of_lines: each text's start, then the end of the data (a newline after each)

    @classmethod
    def of_texts(cls, texts):
        """A list of bytes objects."""
        lengths = np.fromiter(map(len, texts), np.int32, len(texts))
        return cls(np.frombuffer(b"".join(texts), np.uint8), np.cumsum(lengths) - lengths, lengths)

    @classmethod
    def of_rows(cls, table):
        """The rows of a 2-D uint8 table, all of its width."""
        count, width = table.shape
        return cls(np.ascontiguousarray(table).ravel(), np.arange(count, dtype=np.int32) * width,
                   np.full(count, width, np.int32))

    @classmethod
    def of_lines(cls, arrays):
        """Newline-terminated texts (:func:`address_lines` or :class:`AddressText`), the arrays one
        after the other."""
        texts = [text if isinstance(text, AddressText) else AddressText(text) for text in arrays]
        data = np.concatenate([text.data for text in texts] + [np.zeros(0, np.uint8)])
        bases = np.cumsum([0] + [len(text.data) for text in texts[:-1]])
        ends = np.concatenate([text.ends + np.int32(base) for text, base in zip(texts, bases.tolist())]
                              + [np.zeros(0, np.int32)])
        starts = np.empty_like(ends)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        packed = cls(data, starts, ends - starts)
        packed.bounds = np.append(starts, np.int32(len(data)))
        return packed

    def view(self, array, width):
        """``array`` (bytes) seen as items of ``width`` bytes starting at every byte."""
        return np.ndarray((len(array) - width + 1,), "V%d" % width, array, 0, (1,))

    def find(self, rows):
        """Where texts ``rows`` start in ``data``, and their lengths."""
        if self.bounds is None:
            return self.starts[rows], self.lengths[rows]
        # One random look-up per text: its end is the next one's start, mostly in the same cache line.
        first = self.bounds[rows]
        return first, self.bounds[rows + 1] - first - 1

    def copy(self, buffer, at, first, width=None):
        """Copy the texts starting at ``first`` in ``data`` to byte offsets ``at`` of ``buffer``, in order."""
        width = width or self.width
        source = self.items.get(width)
        if source is None:
            source = self.items[width] = self.view(self.data, width)
        self.view(buffer, width)[at] = source[first]


def address_lines(table):
    """The addresses of a padded address table (rows of ADDRESS_WIDTH bytes, zero bytes as padding)
    as text, each followed by a newline: the form in which a block keeps them for the log files
    (a third of the size, and packed once rather than for every file)."""
    parts = [np.zeros(0, np.uint8)]
    for begin in range(0, len(table), _PACK_ROWS):
        rows = np.ascontiguousarray(table[begin:begin + _PACK_ROWS], np.uint8)
        cells = np.concatenate([rows, np.full((len(rows), 1), _NEWLINE, np.uint8)], axis=1).ravel()
        parts.append(cells[cells != 0])
    return np.concatenate(parts)


class AddressText:
    """An :func:`address_lines` array and where each of its addresses ends (its newline): found once
    for a block's week, however many of its files a process writes."""

    def __init__(self, data):
        self.data = data
        self.ends = np.flatnonzero(data == _NEWLINE).astype(np.int32)

    def __len__(self):
        """How many addresses it holds."""
        return len(self.ends)


def _address_bands(address, room):
    """None when every address item, copied at the table's widest, overruns its field by no more
    than ``room`` bytes (the time after it); otherwise a function giving, for the lines' address
    lengths, (width, line positions) bands whose items do not overrun by more."""
    if not len(address.lengths) or address.width - int(address.lengths.min()) <= room:
        return None

    def bands(lengths):
        band = (address.width - lengths) // (room + 1)
        for number in np.unique(band).tolist():
            yield address.width - number * (room + 1), np.flatnonzero(band == number)

    return bands


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
