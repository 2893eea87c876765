"""Client addresses: valid, canonical text; one address per (block, group, lease); none shared by blocks."""

import ipaddress

import numpy as np

from alma_countme.sim.generation import network


def test_address_texts_are_valid_canonical_and_distinct():
    count = 20000
    groups = np.arange(count) % (3 * network.BLOCK)
    ids = network.address_ids(groups, np.arange(count) // 7, np.arange(count) % 5 == 0)
    keys = np.concatenate([network.address_keys(11, block, ids) for block in (0, 1, network.MAX_BLOCKS - 1)])
    rows = [bytes(row).replace(b"\0", b"").decode("ascii") for row in network.address_table(keys)]
    assert len(set(rows)) == len(rows) == 3 * count
    families = set()
    for text in rows:
        address = ipaddress.ip_address(text)
        assert str(address) == text  # what nginx logs: the canonical form (RFC 5952 for IPv6)
        assert not (address.is_private or address.is_loopback or address.is_multicast or address.is_reserved)
        families.add(address.version)
    assert families == {4, 6}
    assert network.address_text(keys[0]) == rows[0]


def test_the_same_group_and_lease_is_the_same_address():
    ids = network.address_ids([5, 5, 5, 6], [3, 3 + network.LEASE_CYCLE, 4, 3], [False] * 4)
    keys = network.address_keys(1, 9, ids)
    assert keys[0] == keys[1] != keys[2] and keys[0] != keys[3]
