import ctypes
import platform
import subprocess
import sys

import pytest

# Run in a fresh interpreter: how malloc serves a 16 MiB block, from its mmap'd bytes (mallinfo2's
# hblkhd) before and after numpy allocates one, with or without heap.reuse_freed_memory().
_PROBE = """
import ctypes, sys
import numpy as np
from alma_countme.sim.common import heap

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
if sys.argv[1] == "set":
    assert heap.reuse_freed_memory()
before = mallinfo2().hblkhd
block = np.ones(16 << 20, np.uint8)
assert int(block.sum()) == 16 << 20
print(mallinfo2().hblkhd - before)
"""


def _mapped_bytes_of_a_16_mib_block(mode):
    result = subprocess.run([sys.executable, "-c", _PROBE, mode], stdout=subprocess.PIPE, check=True,
                            universal_newlines=True)
    return int(result.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_with_the_thresholds_set_a_16_mib_block_comes_from_the_heap():
    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("glibc before 2.33 has no mallinfo2 to see where malloc put the block")
    # glibc's default threshold (128 KiB at the start) maps such a block of its own ...
    assert _mapped_bytes_of_a_16_mib_block("default") >= 16 << 20
    # ... and with the thresholds fixed at 32 MiB it is heap memory, reused once freed.
    assert _mapped_bytes_of_a_16_mib_block("set") < 1 << 20
