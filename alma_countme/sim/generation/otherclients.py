"""Lines besides the systems' first tries: their retries, and the requests of other clients.

Each function takes the week's :class:`week.WeekSimulation` (``sim``: the
week's bounds ``W0``/``W1``, the scenario's ``params``, the ``catalog``, the
number of ``servers``, the week's random stream ``rng``, the block's
``systems.number``, and for a retry the system's address at its time,
``sim.address``).
"""

import numpy as np

from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import WEEK
from alma_countme.sim.generation import network
from alma_countme.sim.generation.linerecords import NOISE_ID

POOL_SIZE = 1024  # addresses per kind of other client and block


def retries(sim, columns):
    """Some first tries fail (logged with that status) and come again without countme.

    Sets the status of the failed lines of ``columns``; returns (the retries as
    columns, or None, and their number).
    """
    p = sim.params
    count = len(columns["t"])
    failed = np.flatnonzero(sim.rng.random(count) < p.retry_share)
    if not len(failed):
        return None, 0
    first = p.retry_status[np.searchsorted(np.cumsum(p.retry_status_shares)[:-1],
                                           sim.rng.random(len(failed)), side="right")]
    low, high = p.retry_delay
    delay = (low + sim.rng.random(len(failed)) * (high - low)).astype(np.int64)
    retry = {name: columns[name][failed].copy() for name in columns}
    columns["status"][failed] = first
    retry["t"] = np.minimum(retry["t"] + delay, sim.W1 - 1)
    retry["countme"][:] = 0
    retry["server"] = sim.rng.integers(0, sim.servers, len(failed)).astype(np.int16)
    system = retry["sysid"] < NOISE_ID
    retry["addr"][system] = sim.address(retry["local"][system], retry["t"][system])
    return retry, len(failed)


def noise(sim, online):
    """Requests of other clients (curl, monitoring, old yum, bots, scanners), as columns or None;
    ``online`` is the number of systems online this week (the rate is per system)."""
    p, c, b = sim.params, sim.catalog, sim.systems
    count = int(sim.rng.poisson(p.noise_rate * online)) if online else 0
    if not count:
        return None
    kind = np.searchsorted(np.cumsum(p.noise_shares)[:-1], sim.rng.random(count), side="right")
    agent = np.zeros(count, np.int32)
    path = np.zeros(count, np.int32)
    method = np.zeros(count, np.int8)
    pool = np.zeros(count, np.int64)
    for index, name in enumerate(cat.NOISE_KINDS):
        spec = cat.NOISE[name]
        mine = kind == index
        size = int(mine.sum())
        agent[mine] = c.noise_agent_offsets[name] + sim.rng.integers(0, len(spec["agents"]), size)
        path[mine] = c.noise_path_offsets[name] + sim.rng.integers(0, len(spec["paths"]), size)
        method[mine] = spec["method"]
        pool[mine] = network.POOL_BASE + index * POOL_SIZE + sim.rng.integers(0, spec["pool"], size)
    t = sim.W0 + sim.rng.integers(0, WEEK, count)
    addr = network.address_ids(pool, 0, False)
    return dict(t=t, sysid=NOISE_ID | (b.number << 30) | np.arange(count),
                server=sim.rng.integers(0, sim.servers, count).astype(np.int16), addr=addr, path=path,
                countme=np.zeros(count, np.int8), status=c.path_status[path], method=method, ua=agent,
                local=np.full(count, -1, np.int32))

