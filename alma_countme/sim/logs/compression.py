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


class DamagedData(ValueError):
    """Compressed data that stops short (a truncated copy) or does not decompress (a damaged one)."""

    def __init__(self, kind, detail):
        super().__init__("truncated or damaged %s data (%s)" % (kind, detail))
        self.kind, self.detail = kind, detail


class _GzipReader(gzip.GzipFile):
    """gzip.GzipFile whose reads raise DamagedData instead of gzip's EOFError, zlib.error or
    BadGzipFile, so that a reader can tell a damaged log from any other failure."""

    def read(self, size=-1):
        return self._checked(super().read, size)

    def read1(self, size=-1):
        return self._checked(super().read1, size)

    @staticmethod
    def _checked(method, size):
        try:
            return method(size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DamagedData(GZIP, error) from None


class _ZstdReader(io.RawIOBase):
    """The zstd frames of a file one after the other, raising DamagedData where the data stops
    inside a frame or does not decompress (zstandard's stream_reader ends quietly at a cut)."""

    READ_BYTES = 1 << 16  # compressed bytes per read: about 0.5 MiB of text

    def __init__(self, path):
        import zstandard

        self._file = None
        self._errors = zstandard.ZstdError
        self._decompressor = zstandard.ZstdDecompressor()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._frame = None  # the decompressobj of the frame being read; None between frames
        self._pending = memoryview(b"")  # decompressed, not yet read

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending:
            if not self._decompress_more():
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _decompress_more(self):
        """Decompress the next piece of the file into _pending; False at its end."""
        data = self._file.read(self.READ_BYTES)
        if not data:
            if self._frame is not None:
                raise DamagedData(ZSTD, "the file ends inside a frame")
            return False
        pieces = []
        while data:
            if self._frame is None:
                self._frame = self._decompressor.decompressobj()
            try:
                pieces.append(self._frame.decompress(data))
            except self._errors as error:
                raise DamagedData(ZSTD, error) from None
            if not self._frame.eof:
                break
            data, self._frame = self._frame.unused_data, None  # the next frame starts there
        self._pending = memoryview(b"".join(pieces))
        return True

    def close(self):
        if self._file is not None:
            self._file.close()
        super().close()


def open_text(path):
    """A text reader for the log file ``path``, decompressing ``.gz`` and ``.zst``; reading it
    raises DamagedData when the compressed data is truncated or damaged."""
    name = str(path)
    if name.endswith(".gz"):
        return io.TextIOWrapper(_GzipReader(path, "rb"), encoding="utf-8", errors="replace")
    if name.endswith(".zst"):
        return io.TextIOWrapper(io.BufferedReader(_ZstdReader(path)), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")
