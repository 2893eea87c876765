"""--preload: the start of a stream taken ahead, then the rest in order, and no more taken than asked."""

import itertools
import json
import subprocess
import sys

from alma_countme.sim.traffic import preload as preload_module
from alma_countme.sim.traffic.preload import preload


class _Source:
    """An iterator that counts how many items were taken from it."""

    def __init__(self, items):
        self.items = iter(items)
        self.taken = 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.items)
        self.taken += 1
        return item


def test_the_first_requests_are_taken_at_once_and_the_rest_follow_in_order():
    source = _Source(range(100))
    requests, figures = preload(source, 30)
    assert source.taken == 30 and figures["requests"] == 30
    assert list(itertools.islice(requests, 31)) == list(range(31))
    assert source.taken == 31  # the rest is taken as it is sent, not ahead
    assert list(requests) == list(range(31, 100))


def test_a_stream_shorter_than_the_preload_is_taken_whole():
    source = _Source(range(7))
    requests, figures = preload(source, 1000)
    assert figures["requests"] == 7 and source.taken == 7
    assert list(requests) == list(range(7))


def test_no_preload_takes_nothing_ahead():
    source = _Source(range(5))
    requests, figures = preload(source, 0)
    assert source.taken == 0 and figures["requests"] == 0
    assert list(requests) == list(range(5))


def test_the_memory_it_takes_is_measured():
    # In a new interpreter: one that has run other tests reuses the memory they freed, and its
    # resident size need not grow at all.
    script = (
        "import json\n"
        "from alma_countme.sim.traffic.preload import preload\n"
        "made = (b'%08d' % number * 125 for number in range(50_000))\n"
        "requests, figures = preload(made, 50_000)\n"
        "figures['bytes'] = sum(map(len, requests))\n"
        "print(json.dumps(figures))\n")
    figures = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                        text=True, timeout=60).stdout)
    assert figures["requests"] == 50_000 and figures["bytes"] == 50_000_000 and figures["seconds"] >= 0
    # 50,000 strings of 1,000 bytes: about 50 MB more resident, where /proc tells it.
    if figures["resident_mib"] is not None:
        assert 40 <= figures["resident_mib"] <= 100


def test_the_default_preload_takes_at_most_a_quarter_of_the_available_memory(mocker):
    assert preload_module.affordable(1000) == 1000  # this machine has far more than 1,600 kB free
    mocker.patch.object(preload_module, "_available_bytes", return_value=40 * 10**6)
    assert preload_module.affordable(1_000_000) == 40 * 10**6 // 4 // preload_module.BYTES_PER_REQUEST
    assert preload_module.affordable(100) == 100
    mocker.patch.object(preload_module, "_available_bytes", return_value=None)  # not Linux
    assert preload_module.affordable(1_000_000) == 1_000_000
