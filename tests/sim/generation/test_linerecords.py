"""linerecords: the order the writer reads a block-week's lines in."""

import numpy as np
import pytest

from alma_countme.sim.generation import linerecords


@pytest.mark.parametrize("servers", [1, 2, 64])
def test_lines_are_ordered_by_group_then_second_then_the_order_they_were_made(servers):
    rng = np.random.default_rng(servers)
    count = 50_000
    group = rng.integers(0, 7 * servers, count)
    # Few distinct seconds, on both sides of 65536: many ties, and the bit the first pass leaves out.
    second = rng.choice(np.array([0, 1, 65535, 65536, 65537, 86399]), count)
    order = linerecords._time_order(group, second)
    assert order.tolist() == np.lexsort((np.arange(count), second, group)).tolist()
