"""Writing big output files fast: large aligned blocks with O_DIRECT where the filesystem takes it.

Log files are written once and not read back by this process, so going around
the page cache costs nothing and saves the kernel's page-by-page allocation
(on the 2-core test VMs, 2 GB/s instead of 0.4 GB/s). A direct write waits for
the device, so a thread writes one block while the next is being filled.
Where O_DIRECT is not supported (ramfs, tmpfs before Linux 6.6, some network
filesystems) the same class writes normally. The last partial block is written without O_DIRECT, so
files have their exact length.
"""

import contextlib
import errno
import fcntl
import mmap
import os
import threading
import time

_DIRECT = getattr(os, "O_DIRECT", 0)
ALIGNMENT = 4096
BLOCK_BYTES = 8 << 20


class OutputFile:
    """A write-only binary file with write(), flush() and close(), for GzipFile and plain use."""

    def __init__(self, path):
        self.path = path
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        self.direct = bool(_DIRECT)
        try:
            self.fd = os.open(path, flags | _DIRECT, 0o644) if self.direct else os.open(path, flags, 0o644)
        except OSError as error:
            if error.errno != errno.EINVAL:
                raise
            self.direct = False
            self.fd = os.open(path, flags, 0o644)
        # Two page-aligned blocks (as O_DIRECT wants): one filling, one being written.
        self.blocks = [mmap.mmap(-1, BLOCK_BYTES) for _ in range(2)]
        self.views = [memoryview(block) for block in self.blocks]
        self.current = 0
        self.fill = 0
        self.writer = None
        self.error = None

    def write(self, data):
        data = memoryview(data).cast("B")
        position = 0
        while position < len(data):
            view = self.views[self.current]
            count = min(len(data) - position, BLOCK_BYTES - self.fill)
            view[self.fill:self.fill + count] = data[position:position + count]
            self.fill += count
            position += count
            if self.fill == BLOCK_BYTES:
                self._hand_over(view)
        return len(data)

    def flush(self):
        pass

    def _hand_over(self, view):
        self._wait()
        self.writer = threading.Thread(target=self._background, args=(view,), daemon=True)
        self.writer.start()
        self.current = 1 - self.current
        self.fill = 0

    def _background(self, view):
        try:
            self._write(view)
        except OSError as error:
            self.error = error

    def _wait(self):
        if self.writer is not None:
            self.writer.join()
            self.writer = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _write(self, view):
        written = 0
        while written < len(view):
            try:
                written += os.write(self.fd, view[written:])
            except OSError as error:
                if error.errno != errno.EINVAL or not self.direct:
                    raise
                self._stop_direct()  # the filesystem refused O_DIRECT after all

    def _stop_direct(self):
        if self.direct:
            flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
            fcntl.fcntl(self.fd, fcntl.F_SETFL, flags & ~_DIRECT)
            self.direct = False

    def close(self):
        """Write what is left and close; raises OSError when any write failed."""
        if self.fd is None:
            return
        try:
            self._wait()
            view = self.views[self.current]
            aligned = self.fill - self.fill % ALIGNMENT
            if aligned:
                self._write(view[:aligned])
            self._stop_direct()
            self._write(view[aligned:self.fill])
        finally:
            self._release()

    def abandon(self):
        """Close without writing what is buffered (after an error)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                self._wait()
            self._release()

    def _release(self):
        os.close(self.fd)
        self.fd = None
        for view in self.views:
            view.release()
        for block in self.blocks:
            # A slice may still be held by an exception's traceback: the block goes with it.
            with contextlib.suppress(BufferError):
                block.close()


def write_floor(path, size):
    """Seconds this machine takes to write ``size`` bytes to a new file ``path`` as fast as it can:
    one thread, one os.write of BLOCK_BYTES after the other, opened as OutputFile opens (O_DIRECT
    where the filesystem takes it, no fsync, as the log files). The file is removed afterwards."""
    output = OutputFile(path)
    try:
        block = output.views[0]
        block[:] = b"x" * BLOCK_BYTES  # bytes that a filesystem cannot skip or compress away
        started = time.perf_counter()
        for _ in range(size // BLOCK_BYTES):
            output._write(block)
        output.fill = size % BLOCK_BYTES
        output.close()
        return time.perf_counter() - started
    finally:
        output.abandon()
        with contextlib.suppress(OSError):
            os.unlink(path)
