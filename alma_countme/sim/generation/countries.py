"""Countries of systems, and public addresses from the networks a real database assigns to them.

Every address group of a block (a system's own address, a NAT shared by
systems, a pool of another client: see :mod:`network`) has one country. The
65,536 group ids of a block are shuffled by a bijection keyed by (seed, block)
and dealt out to the countries in proportion to ``countries.mix``; a group's
country is the one whose share its shuffled id falls in, so NAT members, every
lease of a dynamic address and the retries of a request share it.

A group's address for lease L is number ``i = (block * M_c + rank) * 8 + L mod
8`` among its country's addresses, ``rank`` its place among the block's M_c
group ids of country c: distinct (block, group, lease) give distinct i. IPv4:
i goes through ``i -> (A * i + B) mod S_c`` (A prime to S_c, a bijection of the
country's S_c addresses, which spreads them over its networks) and lands in
the network that holds that place. IPv6: i picks one of the country's networks
(/64 or shorter) and a random /64 inside it, and the interface id carries i
and the country, so addresses stay distinct. Every address thus lies in a
network the database gives to its group's country.
"""

import numpy as np

from alma_countme.sim.common import rand
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.generation import geo, network

GROUP_SPACE = 1 << network.GROUP_BITS  # group ids of a block
_MASK16 = GROUP_SPACE - 1
_PRIMES = (2147483647, 2147483629, 2147483587, 1000000007, 998244353)


def _shuffle16(seed, block, group):
    """A bijection of [0, 65536) per (seed, block): affine steps and xor-shifts with keyed constants."""
    keys = rand.hash64(seed, rand.COUNTRY, block, np.arange(3))
    odd = int(keys[0] & np.uint64(_MASK16)) | 1
    add, odd2 = int(keys[1] & np.uint64(_MASK16)), int(keys[2] & np.uint64(_MASK16)) | 1
    x = np.asarray(group, np.int64) & _MASK16
    x = (x * odd + add) & _MASK16
    x ^= x >> 7
    x = (x * odd2) & _MASK16
    x ^= x >> 9
    return x


def _split(shares, total):
    """Whole numbers proportional to ``shares`` adding up to ``total`` (largest remainders)."""
    exact = np.asarray(shares, np.float64) * total
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:total - counts.sum()]] += 1
    return counts


class Countries:
    """The scenario's country mix over a database's networks, for one run."""

    def __init__(self, database, mix, seed, block_count):
        self.database = database
        self.seed = seed
        self.networks = nets = geo.networks(database)
        self.codes = list(mix)
        missing = [code for code in self.codes if code not in nets.codes]
        if missing:
            raise SimError("scenario: key countries.mix: %s %s no networks in %s"
                           % (", ".join(missing), "has" if len(missing) == 1 else "have", nets.source))
        self.groups = _split(list(mix.values()), GROUP_SPACE)  # M_c: group ids per block
        self.first_group = np.concatenate([[0], np.cumsum(self.groups)[:-1]])
        db_index = np.array([nets.codes.index(code) for code in self.codes])
        need = block_count * self.groups * network.LEASE_CYCLE
        # IPv4: the country's networks in order, with their places (cumulative sizes).
        v4_pick = [np.flatnonzero(nets.v4_country == index) for index in db_index]
        self.v4_start = np.concatenate([nets.v4_start[p] for p in v4_pick]).astype(np.int64)
        sizes = np.concatenate([nets.v4_size[p] for p in v4_pick]).astype(np.int64)
        self.v4_place = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        totals = np.array([int(nets.v4_size[p].sum()) for p in v4_pick], np.int64)
        self.v4_total = totals
        self.v4_base = np.concatenate([[0], np.cumsum(totals)[:-1]])
        for code, have, wanted in zip(self.codes, totals, need):
            if have < wanted:
                raise SimError("scenario: key countries.mix: %s has %d IPv4 addresses in %s, fewer than "
                               "the %d its share of this population needs; lower its share or population.size"
                               % (code, have, nets.source, wanted))
        self.v4_factor = np.array([next(p for p in _PRIMES if total % p) for total in totals], np.int64)
        self.v4_offset = (rand.hash64(seed, rand.COUNTRY, 1 << 40, np.arange(len(self.codes)))
                          % totals.astype(np.uint64)).astype(np.int64)
        # IPv6: the country's networks (/64 or shorter).
        v6_pick = [np.flatnonzero(nets.v6_country == index) for index in db_index]
        self.v6_high = np.concatenate([nets.v6_high[p] for p in v6_pick]).astype(np.uint64)
        self.v6_bits = np.concatenate([nets.v6_bits[p] for p in v6_pick]).astype(np.int64)
        self.v6_count = np.array([len(p) for p in v6_pick], np.int64)
        self.v6_base = np.concatenate([[0], np.cumsum(self.v6_count)[:-1]])
        empty = [code for code, count in zip(self.codes, self.v6_count) if count == 0]
        if empty:
            raise SimError("scenario: key countries.mix: %s %s no IPv6 networks in %s"
                           % (", ".join(empty), "has" if len(empty) == 1 else "have", nets.source))

    def of_groups(self, block, group):
        """Index into ``codes`` of each group id's country in ``block``, and its rank in that country."""
        shuffled = _shuffle16(self.seed, block, group)
        country = (np.searchsorted(self.first_group, shuffled, side="right") - 1).astype(np.int16)
        return country, shuffled - self.first_group[country]

    def address_table(self, block, ids):
        """Text of a block's address ids (see network.address_ids) as network.address_table rows."""
        ids = np.asarray(ids, np.int64)
        ipv6 = (ids & 1).astype(bool)
        lease = (ids >> 1) & (network.LEASE_CYCLE - 1)
        group = ids >> (1 + network.LEASE_BITS)
        country, rank = self.of_groups(block, group)
        number = ((block * self.groups[country] + rank) << network.LEASE_BITS) | lease
        table = np.zeros((len(ids), network.ADDRESS_WIDTH), np.uint8)
        v4 = ~ipv6
        if v4.any():
            c, i = country[v4], number[v4]
            place = (self.v4_factor[c] * i + self.v4_offset[c]) % self.v4_total[c] + self.v4_base[c]
            net = np.searchsorted(self.v4_place, place, side="right") - 1
            table[v4] = network.ipv4_table(self.v4_start[net] + (place - self.v4_place[net]))
        if ipv6.any():
            c, i = country[ipv6], number[ipv6]
            h = rand.hash64(self.seed, rand.COUNTRY, block, ids[ipv6])
            net = self.v6_base[c] + (h % self.v6_count[c].astype(np.uint64)).astype(np.int64)
            host_bits = (64 - self.v6_bits[net]).astype(np.uint64)
            inside = np.where(host_bits > 0, rand.mix64(h) & ((np.uint64(1) << host_bits) - np.uint64(1)), 0)
            high = self.v6_high[net] | inside.astype(np.uint64)
            low = ((h >> np.uint64(42)) << np.uint64(42)) | (c.astype(np.uint64) << np.uint64(34)) \
                | i.astype(np.uint64)
            table[ipv6] = network.ipv6_table(high, low)
        return table


def from_scenario(scenario, seed, block_count):
    """The run's :class:`Countries`, or None when ``countries.database`` is "none"."""
    settings = scenario["countries"]
    if settings["database"] == "none":
        return None
    return Countries(settings["database"], settings["mix"], seed, block_count)
