"""Compressed log files: gzip (ISA-L's igzip, or zlib for its higher levels) and zstd.

Gzip levels 1 to 3 are ISA-L's (the ``isal`` package: several times faster
than zlib, ordinary gzip that zcat, Python's gzip and mirrors-countme read);
levels 4 to 9 are zlib's, for the smallest files. zstd comes from the
``zstandard`` package. Headers carry no name and no time, and the data is fed
in the same chunks whatever process writes the file, so equal input gives
equal bytes.
"""

import gzip
import io
import zlib

GZIP = "gzip"
ZSTD = "zstd"
KINDS = (GZIP, ZSTD)
SUFFIXES = {GZIP: ".gz", ZSTD: ".zst"}
DEFAULT_LEVELS = {GZIP: 1, ZSTD: 1}
LEVEL_RANGES = {GZIP: (1, 9), ZSTD: (1, 19)}
ISAL_LEVELS = 3  # gzip levels up to this one use ISA-L
GZIP_WBITS = 16 + 15  # a gzip header and trailer around deflate data, 32 KiB window


class Compression:
    """How log files are compressed: ``kind`` (gzip or zstd) and ``level``."""

    def __init__(self, kind=GZIP, level=None):
        if kind not in KINDS:
            raise ValueError("unknown compression %r (use %s)" % (kind, " or ".join(KINDS)))
        self.kind = kind
        self.level = DEFAULT_LEVELS[kind] if level is None else level
        low, high = LEVEL_RANGES[kind]
        if not low <= self.level <= high:
            raise ValueError("%s level %d is out of range (use %d to %d)" % (kind, self.level, low, high))

    @property
    def suffix(self):
        return SUFFIXES[self.kind]

    def __repr__(self):
        return "%s level %d" % (self.kind, self.level)

    def writer(self, output):
        """An object with write(bytes) and close() that writes compressed data to ``output``
        (anything with write(); closing the writer does not close it)."""
        if self.kind == ZSTD:
            return _ZstdWriter(output, self.level)
        return _GzipWriter(output, self.level)


class _CompressingWriter:
    """Feeds a compressobj-like ``_compressor`` and writes what it gives to ``_output``."""

    def write(self, data):
        packed = self._compressor.compress(data)
        if packed:
            self._output.write(packed)

    def close(self):
        self._output.write(self._compressor.flush())


class _GzipWriter(_CompressingWriter):
    """One gzip member, header and trailer written by the library (no name, time 0)."""

    def __init__(self, output, level):
        if level <= ISAL_LEVELS:
            from isal import isal_zlib as library
        else:
            library = zlib
        self._compressor = library.compressobj(level, library.DEFLATED, GZIP_WBITS, library.DEF_MEM_LEVEL)
        self._output = output


class _ZstdWriter(_CompressingWriter):
    """One zstd frame with a checksum."""

    def __init__(self, output, level):
        import zstandard

        self._compressor = zstandard.ZstdCompressor(level=level, write_checksum=True).compressobj()
        self._output = output


def open_text(path):
    """A text reader for the log file ``path``, decompressing ``.gz`` and ``.zst``."""
    name = str(path)
    if name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    if name.endswith(".zst"):
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)  # noqa: SIM115
        return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")
