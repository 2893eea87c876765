"""OutputFile writes exactly the bytes it is given: direct I/O blocks, the tail, and the fallback."""

import mmap
import os
import subprocess

import pytest

from alma_countme.sim.logs import outfile


@pytest.fixture
def ramfs(tmp_path):
    """A ramfs mount: a filesystem that refuses O_DIRECT (tmpfs takes it since Linux 6.6)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a ramfs needs root")
    directory = tmp_path / "ramfs"
    directory.mkdir()
    subprocess.run(["mount", "-t", "ramfs", "none", str(directory)], check=True)
    yield str(directory)
    subprocess.run(["umount", str(directory)], check=True)


@pytest.mark.parametrize("where", ["disk", "tmpfs", "ramfs"])
def test_bytes_written_in_odd_chunks_come_back_unchanged(tmp_path, request, where):
    if where == "tmpfs":
        if not os.path.isdir("/dev/shm"):
            pytest.skip("no /dev/shm (tmpfs) on this machine")
        directory = "/dev/shm"
    elif where == "ramfs":
        directory = request.getfixturevalue("ramfs")
        assert not _takes_direct_io(directory)  # the fallback: written the ordinary way
    else:
        directory = str(tmp_path)
    path = os.path.join(directory, "countme-sim-outfile-test-%d" % os.getpid())
    data = os.urandom(2 * outfile.BLOCK_BYTES + 12345)  # two full blocks and a partial one
    try:
        output = outfile.OutputFile(path)
        position, size = 0, 1
        while position < len(data):
            output.write(data[position:position + size])
            position += size
            size = size * 7 % 3_000_001 + 1  # chunks from 1 byte to 3 MB
        output._wait()  # the full blocks are written: the descriptor is as they were written
        # Direct I/O where the filesystem takes it (ext4; tmpfs since Linux 6.6), else the ordinary
        # way: the descriptor's own flags say which, as the kernel holds them.
        assert _descriptor_is_direct(output.fd) == output.direct == _takes_direct_io(directory)
        output.close()
        with open(path, "rb") as handle:
            assert handle.read() == data
    finally:
        os.unlink(path)


def _descriptor_is_direct(fd):
    with open("/proc/self/fdinfo/%d" % fd) as handle:
        flags = next(line for line in handle if line.startswith("flags:"))
    return bool(int(flags.split()[1], 8) & os.O_DIRECT)


def _takes_direct_io(directory):
    """Whether a block-aligned O_DIRECT write to a new file in ``directory`` succeeds."""
    path = os.path.join(directory, "countme-sim-direct-probe-%d" % os.getpid())
    buffer = mmap.mmap(-1, outfile.BLOCK_BYTES)  # page-aligned, as O_DIRECT wants
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    except OSError:
        return False
    try:
        return os.write(fd, buffer) == outfile.BLOCK_BYTES
    except OSError:
        return False
    finally:
        os.close(fd)
        os.unlink(path)


def test_a_failed_write_raises_and_the_file_can_be_abandoned(tmp_path):
    output = outfile.OutputFile("/dev/full")
    with pytest.raises(OSError):
        output.write(b"x" * (outfile.BLOCK_BYTES + 1))
        output.close()
    output.abandon()
    assert output.fd is None
