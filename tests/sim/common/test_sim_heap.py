import platform

import numpy as np
import pytest

from alma_countme.sim.common import heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_thresholds_are_set_and_numpy_still_allocates():
    assert heap.reuse_freed_memory()
    # Blocks on both sides of the mmap threshold still come and go.
    for size in (heap.MMAP_THRESHOLD // 16, heap.MMAP_THRESHOLD * 2):
        block = np.ones(size, np.uint8)
        assert int(block.sum()) == size
