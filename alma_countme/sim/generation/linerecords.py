"""A block-week's lines as data: the columns the simulation makes, and the records the writer reads.

The simulation gathers lines as columns of equal length (``week.Lines``):
``t`` (time), ``sysid`` (who sent it: a system's id, a CI container's from
:data:`CONTAINER_ID`, another client's from :data:`NOISE_ID`), ``server``,
``addr`` (an address id, see :func:`network.address_ids`), ``path``,
``countme`` (0: no flag), ``status``, ``method``, ``ua`` (agent) and
``local`` (the sender's row in its block; -1 for other clients).

Between the phases a line is a :data:`LINE_DTYPE` record: its second of the
week, its index into the block-week's address table, and its index into the
block-week's suffix keys (one integer for everything after the time; see
:func:`suffix_keys` and :func:`decode_suffix_key`).
"""

import numpy as np

from alma_countme.sim.common.arrays import distinct_inverse
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import DAY
from alma_countme.sim.generation import network, vstep

CONTAINER_ID = 1 << 44  # ids of containers: CONTAINER_ID | system id << 16 | number in the week
NOISE_ID = 1 << 62  # ids of other clients' requests: NOISE_ID | block << 30 | number
# A line between the phases: second of the week, index into the address table, into the suffix keys.
LINE_DTYPE = np.dtype([("t", "<i4"), ("addr", "<i4"), ("suffix", "<i4")])


_DENSE = {}  # space -> (marker, rank): scratch arrays reused from block to block


def _dense_index(values, space):
    """(sorted distinct values, each value's index among them) for ints in [0, space)."""
    if space > (1 << 23):
        return distinct_inverse(values)
    if space not in _DENSE:
        if len(_DENSE) >= 4:
            _DENSE.clear()
        _DENSE[space] = (np.zeros(space, bool), np.zeros(space, np.int32))
    marker, rank = _DENSE[space]
    marker[values] = True
    present = np.flatnonzero(marker)
    marker[present] = False  # clean for the next use
    rank[present] = np.arange(len(present), dtype=np.int32)
    return present, rank[values]


def index_addresses(columns):
    """The block-week's distinct address ids; adds each line's index among them as ``addr_index``."""
    addresses, columns["addr_index"] = _dense_index(columns["addr"], network.ADDRESS_IDS)
    return addresses


def suffix_keys(columns, catalog):
    """One integer per line for everything after the time: path, countme, status, method, agent."""
    key = columns["path"].astype(np.int64) * (vstep.BUCKET_COUNT + 1) + columns["countme"]
    key = key * len(cat.STATUSES) + columns["status"]
    key = key * len(cat.METHODS) + columns["method"]
    return key * len(catalog.agents) + columns["ua"]


def decode_suffix_key(key, catalog):
    """(path, countme, status, method, agent) of a :func:`suffix_keys` value."""
    key, agent = divmod(int(key), len(catalog.agents))
    key, method = divmod(key, len(cat.METHODS))
    key, status = divmod(key, len(cat.STATUSES))
    path, countme = divmod(key, vstep.BUCKET_COUNT + 1)
    return path, countme, status, method, agent


def _time_order(group, second_of_day):
    """The line order by (group, second of the day, line number): lines of one second stay in the
    order they were made.

    Two stable passes of numpy's radix sort on 16-bit keys (the low 16 bits of the second, then
    the group with the second's 17th bit), each linear in the lines: about 40% less time than one
    sort of the three packed in an int64 (groups are under 2**9: at most 64 servers, 7 days).
    """
    low = (second_of_day & 0xFFFF).astype(np.uint16)
    by_low = np.argsort(low, kind="stable")
    high = (group << 1 | second_of_day >> 16).astype(np.uint16)
    return by_low[np.argsort(high[by_low], kind="stable")]


def output(sim, columns):
    """Lines sorted by (day, server, time, order of generation), the offsets of each (day, server),
    and the block-week's distinct suffix keys.

    ``addr`` is a line's index into the block-week's address table (see
    :func:`index_addresses`), ``suffix`` its index into the suffix keys.
    """
    count = len(columns["t"])
    second = columns["t"] - sim.W0  # of the week
    day = second // DAY
    group = day * sim.servers + columns["server"]
    order = _time_order(group, second - day * DAY)
    lines = np.empty(count, LINE_DTYPE)
    lines["t"] = second[order]
    lines["addr"] = columns["addr_index"][order]
    c = sim.catalog
    space = c.path_count * (vstep.BUCKET_COUNT + 1) * len(cat.STATUSES) * len(cat.METHODS) * len(c.agents)
    keys, suffix = _dense_index(suffix_keys(columns, c), space)
    lines["suffix"] = suffix[order]
    counts = np.bincount(group, minlength=7 * sim.servers)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return lines, offsets, keys
