"""logformat.render: every line is the address, the time and the ending, whatever their lengths."""

import numpy as np
import pytest

from alma_countme.sim.generation import logformat, network
from alma_countme.sim.generation.linerecords import LINE_DTYPE

DAY_START = 1_700_000_000 - 1_700_000_000 % 86400


def _padded(texts, width):
    table = np.zeros((len(texts), width), np.uint8)
    for row, text in enumerate(texts):
        table[row, :len(text)] = np.frombuffer(text, np.uint8)
    return table


def _render(address_texts, suffixes, count, seed, kept=False):
    rng = np.random.default_rng(seed)
    lines = np.zeros(count, LINE_DTYPE)
    lines["t"] = np.sort(rng.integers(0, 86400, count))
    lines["addr"] = rng.integers(0, len(address_texts), count)
    lines["suffix"] = rng.integers(0, len(suffixes), count)
    # Two blocks' addresses, the second indexed after the first, as the engine passes them.
    half = len(address_texts) // 2
    blocks = [logformat.address_lines(_padded(part, network.ADDRESS_WIDTH))
              for part in (address_texts[:half], address_texts[half:])]
    if kept:  # as the engine keeps a block's addresses for the files of its week
        blocks = [logformat.AddressText(block) for block in blocks]
    times = logformat.time_table(DAY_START)
    data = b"".join(bytes(chunk) for chunk in logformat.render(lines, blocks, suffixes, times, 0, ' "x"\n'))
    expected = b"".join(address_texts[a] + times[t].tobytes() + suffixes[s] + b' "x"\n'
                        for t, a, s in zip(lines["t"].tolist(), lines["addr"].tolist(),
                                           lines["suffix"].tolist()))
    return data, expected


@pytest.mark.parametrize("kept", [False, True])
def test_lines_of_every_length_come_out_whole(kept):
    addresses = [b"1.2.3.4", b"203.0.113.255", b"2001:db8:1234:5678:9abc:def0:1234:5678", b"::1"]
    suffixes = [b"", b"a", b'"GET / HTTP/1.1" 200 5 "-" "' + b"x" * 300 + b'"', b"bb"]
    # 70,000 lines: more than a chunk, so parts and chunks meet; "::1" forces narrower bands.
    data, expected = _render(addresses, suffixes, 70_000, 1, kept)
    assert data == expected


def test_addresses_with_padding_inside_rows():
    keys = np.arange(1, 200, dtype=np.uint64) * 7919
    table = network.address_table(keys)
    texts = [row.tobytes().replace(b"\0", b"") for row in table]
    data, expected = _render(texts, [b"s"], 5_000, 2)
    assert data == expected
