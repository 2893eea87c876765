"""OutputFile writes exactly the bytes it is given: direct I/O blocks, the tail, and the fallback."""

import os

import pytest

from alma_countme.sim.logs import outfile


@pytest.mark.parametrize("where", ["disk", "tmpfs"])
def test_bytes_written_in_odd_chunks_come_back_unchanged(tmp_path, where):
    if where == "tmpfs":
        if not os.path.isdir("/dev/shm"):
            pytest.skip("no /dev/shm (tmpfs) on this machine")
        directory = "/dev/shm"
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
        output.close()
        with open(path, "rb") as handle:
            assert handle.read() == data
        if where == "tmpfs":
            assert not output.direct  # tmpfs refuses O_DIRECT: written the ordinary way
    finally:
        os.unlink(path)


def test_a_failed_write_raises_and_the_file_can_be_abandoned(tmp_path):
    output = outfile.OutputFile("/dev/full")
    with pytest.raises(OSError):
        output.write(b"x" * (outfile.BLOCK_BYTES + 1))
        output.close()
    output.abandon()
    assert output.fd is None
