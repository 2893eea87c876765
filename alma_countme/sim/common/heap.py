"""glibc malloc's thresholds fixed, so that numpy's big temporaries reuse freed heap memory.

glibc maps each allocation above its mmap threshold afresh and unmaps it when
freed; every page of it is then faulted in again by the kernel on first touch.
The threshold adapts upwards only after a large mapped block is freed, so how
often the simulation pays those faults depends on the order its temporaries
happen to come in (shrinking one array tripled the faults of a run, and
doubled its system CPU). Fixing the thresholds makes blocks up to 32 MiB come
from the heap and stay there (trimmed back to the system beyond 64 MiB free).
"""

import ctypes

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's upper bound of its adaptive threshold on 64-bit systems
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc pairs with its adaptive threshold


def reuse_freed_memory():
    """Set the thresholds in this process (its forked children inherit them); False without glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
