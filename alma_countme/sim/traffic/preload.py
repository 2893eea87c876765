"""The start of a stream read into memory before a replay sends its first request (--preload).

Why: reading the logs and encoding the requests costs the feeder process a few
microseconds a request, and at --speedup max it competes with the client and
the server for the machine's cores; requests read before the clock starts cost
the replay nothing. What is read ahead stays in memory until it is sent (a
prepared request is a tuple and its bytes, about 400 bytes on 64-bit Python),
so the amount is bounded; the rest of the stream follows as it is read, in
order. tcpreplay's --preload-pcap does the same for packet captures.
"""

import itertools
import os
import time

BYTES_PER_REQUEST = 400  # a prepared request held in memory, with room (a generated stream's: about 385)
MEMORY_SHARE = 4  # the default read-ahead takes at most a quarter of the memory available


def affordable(count):
    """``count``, or fewer: as many requests as take a quarter of the memory Linux says is
    available (MemAvailable), so that the default cannot drive a small machine into swap."""
    available = _available_bytes()
    if available is None:
        return count
    return min(count, available // MEMORY_SHARE // BYTES_PER_REQUEST)


def preload(requests, count):
    """Take the first ``count`` requests of the iterator ``requests`` now.

    Returns (an iterator over every request in order: those taken, then the
    rest as ``requests`` gives them; a dict of what was read ahead: requests,
    seconds, and the growth of this process's resident memory in MiB where
    Linux tells it, else None).
    """
    before = _resident_bytes()
    started = time.perf_counter()
    taken = list(itertools.islice(requests, count))
    seconds = time.perf_counter() - started
    after = _resident_bytes()
    grown = round(max(0, after - before) / 2**20, 1) if before is not None and after is not None else None
    figures = {"requests": len(taken), "seconds": round(seconds, 3), "resident_mib": grown}
    return itertools.chain(taken, requests), figures


def _resident_bytes():
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _available_bytes():
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
