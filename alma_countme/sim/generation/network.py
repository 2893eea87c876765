"""Client addresses: NAT groups, DHCP churn, IPv4 and IPv6, as integer keys and as text.

An address is a pure function of (block, group, lease): ``group`` is a system's
own (0..BLOCK-1), a NAT group shared by systems of the same block
(BLOCK..2*BLOCK-1), or a pool of another client (2*BLOCK..); ``lease`` counts
how often a dynamic address has changed, modulo :data:`LEASE_CYCLE`. The map is
injective, so distinct keys are distinct addresses and no address is shared
between blocks: distinct-address counts add up over blocks.
"""

import numpy as np

from alma_countme.sim.common import rand

BLOCK_BITS = 14
BLOCK = 1 << BLOCK_BITS  # system ids per block
GROUP_BITS = BLOCK_BITS + 2  # own groups, NAT groups, other clients' pools
LEASE_BITS = 3
LEASE_CYCLE = 1 << LEASE_BITS
MAX_BLOCKS = 1 << (30 - GROUP_BITS - LEASE_BITS)
NAT_BASE = BLOCK
POOL_BASE = 2 * BLOCK
IPV6_FLAG = np.uint64(1 << 63)
ADDRESS_WIDTH = 39  # the longest text: eight hextets of four digits and seven colons

_MASK30 = (1 << 30) - 1
# First octets of the IPv4 addresses: 64 public /8 networks (no private, shared,
# loopback, link-local or multicast space).
PUBLIC_FIRST_OCTETS = np.array([
    3, 5, 8, 12, 13, 18, 20, 23, 24, 31, 34, 35, 37, 38, 40, 45, 46, 47, 50, 51, 52, 54, 62, 63,
    64, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88,
    89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 108, 109, 151, 176, 185], np.int64)
assert len(PUBLIC_FIRST_OCTETS) == 64
# First hextets of the IPv6 addresses: global unicast prefixes of the large registries.
IPV6_PREFIXES = np.array([0x2a06, 0x2003, 0x2400, 0x2401, 0x2402, 0x2600, 0x2601, 0x2602, 0x2603, 0x2604,
                          0x2605, 0x2606, 0x2607, 0x2800, 0x2a00, 0x2a01, 0x2a02, 0x2a03, 0x2a04, 0x2a05],
                         np.int64)


def _scramble30(value):
    """A bijection of [0, 2**30): affine steps and xor-shifts, so neighbours look unrelated."""
    x = value.astype(np.int64) & _MASK30
    x = (x * 0x2C1B3C6D + 0x297A2D39) & _MASK30
    x ^= x >> 15
    x = (x * 0x3B9ACA07) & _MASK30
    x ^= x >> 13
    return x


def address_ids(group, lease, ipv6):
    """Dense ids of addresses within a block: (group, lease modulo the cycle, family) packed."""
    return ((((np.asarray(group, np.int64) << LEASE_BITS) | (np.asarray(lease, np.int64) % LEASE_CYCLE)) << 1)
            | np.asarray(ipv6, np.int64)).astype(np.int32)


ADDRESS_IDS = 1 << (GROUP_BITS + LEASE_BITS + 1)  # the number of address ids in a block


def address_keys(seed, block, ids):
    """uint64 keys (distinct for distinct addresses across blocks) of a block's address ids."""
    ids = np.asarray(ids, np.int64)
    ipv6 = (ids & 1).astype(bool)
    value = (np.int64(block) << (GROUP_BITS + LEASE_BITS)) | (ids >> 1)
    value = _scramble30(value)
    high = rand.hash64(seed, rand.ADDRESS, value) >> np.uint64(34)  # 30 more bits for IPv6's look
    v6 = IPV6_FLAG | (high << np.uint64(30)) | value.astype(np.uint64)
    return np.where(ipv6, v6, value.astype(np.uint64))


def _digits_table(values, width, fmt):
    table = np.zeros((len(values), width), np.uint8)
    for index, value in enumerate(values):
        text = (fmt % value).encode("ascii")
        table[index, width - len(text):] = np.frombuffer(text, np.uint8)
    return table


_OCTETS = _digits_table(range(256), 3, "%d")
_DOT, _COLON = ord("."), ord(":")


def _hextets(values):
    """Lower-case hex of 16-bit values, right-aligned in 4 columns (zero bytes as padding)."""
    values = values.astype(np.int64)
    out = np.zeros((len(values), 4), np.uint8)
    hexdigits = np.frombuffer(b"0123456789abcdef", np.uint8)
    started = np.zeros(len(values), bool)
    for column, shift in enumerate((12, 8, 4, 0)):
        nibble = (values >> shift) & 15
        started |= (nibble != 0) | (shift == 0)
        out[:, column] = np.where(started, hexdigits[nibble], 0)
    return out


def address_table(keys):
    """Text of each key as rows of :data:`ADDRESS_WIDTH` bytes; zero bytes are padding to drop."""
    keys = np.asarray(keys, np.uint64)
    table = np.zeros((len(keys), ADDRESS_WIDTH), np.uint8)
    v6 = (keys & IPV6_FLAG) != 0
    v4 = ~v6
    value = (keys & np.uint64(_MASK30)).astype(np.int64)
    if v4.any():
        v = value[v4]
        octets = (PUBLIC_FIRST_OCTETS[v >> 24], (v >> 16) & 255, (v >> 8) & 255, v & 255)
        rows = table[v4]
        for index, octet in enumerate(octets):
            rows[:, 4 * index:4 * index + 3] = _OCTETS[octet]
            if index < 3:
                rows[:, 4 * index + 3] = _DOT
        table[v4] = rows
    if v6.any():
        low = (keys[v6] & ~IPV6_FLAG).astype(np.int64)  # 60 bits: 30 scrambled + 30 of look
        hextets = [IPV6_PREFIXES[value[v6] % len(IPV6_PREFIXES)],
                   (value[v6] >> 5) % 0xFFFF + 1]
        rest = low
        for _ in range(4):  # base-65535 digits, each + 1: never 0, so never "::"
            hextets.append(rest % 0xFFFF + 1)
            rest //= 0xFFFF
        hextets += [(value[v6] >> 3) % 0xFFFF + 1, (value[v6] * 7919) % 0xFFFF + 1]
        rows = table[v6]
        for index, hextet in enumerate(hextets):
            rows[:, 5 * index:5 * index + 4] = _hextets(hextet)
            if index < 7:
                rows[:, 5 * index + 4] = _COLON
        table[v6] = rows
    return table


def address_text(key):
    """One key as text (for tests and messages)."""
    return address_table(np.array([key], np.uint64)).tobytes().replace(b"\0", b"").decode("ascii")


def ipv4_table(values):
    """Dotted-quad text of 32-bit integers as rows of :data:`ADDRESS_WIDTH` bytes (zero bytes: padding)."""
    values = np.asarray(values, np.int64)
    table = np.zeros((len(values), ADDRESS_WIDTH), np.uint8)
    for index, shift in enumerate((24, 16, 8, 0)):
        table[:, 4 * index:4 * index + 3] = _OCTETS[(values >> shift) & 255]
        if index < 3:
            table[:, 4 * index + 3] = _DOT
    return table


def ipv6_table(high, low):
    """Canonical text (RFC 5952) of IPv6 addresses (two uint64 halves) in rows of
    :data:`ADDRESS_WIDTH` bytes (zero bytes: padding).

    Eight hextets without leading zeros; the few addresses with a run of two or
    more zero hextets, which "::" must shorten, are written by :mod:`ipaddress`.
    """
    import ipaddress

    high, low = np.asarray(high, np.uint64), np.asarray(low, np.uint64)
    table = np.zeros((len(high), ADDRESS_WIDTH), np.uint8)
    hextets = [((high if index < 4 else low) >> np.uint64(16 * (3 - index % 4))) & np.uint64(0xFFFF)
               for index in range(8)]
    for index, hextet in enumerate(hextets):
        table[:, 5 * index:5 * index + 4] = _hextets(hextet)
        if index < 7:
            table[:, 5 * index + 4] = _COLON
    zero = [hextet == 0 for hextet in hextets]
    runs = np.zeros(len(high), bool)
    for index in range(7):
        runs |= zero[index] & zero[index + 1]
    for row in np.flatnonzero(runs):
        text = str(ipaddress.IPv6Address((int(high[row]) << 64) | int(low[row]))).encode("ascii")
        table[row] = 0
        table[row, :len(text)] = np.frombuffer(text, np.uint8)
    return table
