"""When a week's persistent systems run dnf: switched-on intervals, manual runs, metadata fetches.

Each function takes the week's :class:`week.WeekSimulation` (``sim``: the
week's start ``W0``, each system's ``alive_start``/``alive_end`` in it and its
``major``, the systems' record ``systems``, the scenario's ``params``, the
``seed`` and the week's random stream ``rng``) and rows ``idx`` of the systems
it is about.

Intervals are dicts of (rows x columns) arrays: ``a`` and ``b`` (start and end,
clipped to the week and to the system's life), ``valid``, ``boot`` (the
interval starts with a boot), and for days ``day`` and the unclipped
``nat_a``/``nat_b``.
"""

import numpy as np

from alma_countme.sim.common import rand
from alma_countme.sim.config.units import DAY, MANUAL_SLOTS, NEVER

COLUMNS = 9  # (local) days that can overlap one UTC week
_BIT_SCALE = {bits: 1.0 / (1 << bits) for bits in range(1, 33)}


def _bits(h, low, count):
    """A uniform in [0, 1) from ``count`` bits of the uint64 hashes ``h`` starting at bit ``low``."""
    return ((h >> np.uint64(low)) & np.uint64((1 << count) - 1)).astype(np.float64) * _BIT_SCALE[count]


def _clip(sim, idx, nat_a, nat_b, natural_boot, day):
    """Intervals clipped to the week and to the system's life; boots where a system starts."""
    b = sim.systems
    low = np.maximum(sim.alive_start[idx], sim.W0)[:, None]
    high = sim.alive_end[idx][:, None]
    a = np.maximum(nat_a, low)
    e = np.minimum(nat_b, high)
    valid = e > a
    fresh = (b.installed[idx] | b.was_offline[idx])[:, None]
    boot = valid & ((natural_boot & (nat_a >= low)) | (fresh & (a == low)))
    return dict(a=a, b=e, valid=valid, boot=boot, day=day, nat_a=nat_a, nat_b=nat_b)


def utc_days(sim, idx):
    """Servers and cloud instances: the week's seven UTC days (where dnf runs fall)."""
    utc_day = sim.W0 // DAY + np.arange(7)[None, :]
    nat_a = np.repeat(utc_day * DAY, len(idx), axis=0)
    day = np.repeat(utc_day, len(idx), axis=0)
    return _clip(sim, idx, nat_a, nat_a + DAY, np.zeros(nat_a.shape, bool), day)


def always_on(sim, idx):
    """Servers and cloud instances for the timer: one interval, the week (or their part of it)."""
    b = sim.systems
    low = np.maximum(sim.alive_start[idx], sim.W0)[:, None]
    high = sim.alive_end[idx][:, None]
    fresh = (b.installed[idx] | b.was_offline[idx])[:, None]
    return dict(a=low, b=high, valid=high > low, boot=fresh & (high > low))


def desktop_days(sim, idx):
    """Desktops: switched on on most weekdays, for working hours in their time zone."""
    b, p = sim.systems, sim.params
    tz = b.timezone[idx][:, None]
    local_day = (sim.W0 + tz) // DAY - 1 + np.arange(COLUMNS)[None, :]
    midnight = local_day * DAY - tz
    weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday; 0 is Monday
    # One hash per (system, local day): the same whichever week asks (days straddle weeks).
    h = rand.hash64(sim.seed, rand.DESKTOP_DAY, (b.ids[idx][:, None] << 24) | (local_day & 0xFFFFFF))
    on_weekday, on_weekend = p.desktop_on
    on = _bits(h, 0, 16) < np.where(weekday < 5, on_weekday, on_weekend)
    low, high = p.desktop_start
    start = midnight + ((low + _bits(h, 16, 24) * (high - low)) * 3600).astype(np.int64)
    low, high = p.desktop_hours
    hours = ((low + _bits(h, 40, 24) * (high - low)) * 3600).astype(np.int64)
    end = np.where(on, start + hours, start)
    return _clip(sim, idx, start, end, np.ones(start.shape, bool), local_day)


def manual_runs(sim, idx, iv):
    """dnf runs in the intervals: root runs (time or NEVER, in order), their --refresh flags,
    and user runs (system row, time)."""
    b, p = sim.systems, sim.params
    klass = b.klass[idx]
    slot = np.arange(MANUAL_SLOTS)[None, None, :]
    h = rand.hash64(sim.seed, rand.MANUAL_RUN,
                    (b.ids[idx][:, None, None] << 24) | ((iv["day"][:, :, None] & 0xFFFFF) << 4) | slot)
    n, days = iv["day"].shape
    chance = np.broadcast_to(p.runs_slot_chance[klass][:, None, None], h.shape)
    present = np.flatnonzero((_bits(h, 0, 16) < chance) & iv["valid"][:, :, None])
    # Only the few slots that hold a run: its time, and whether it is a user's or --refresh.
    h = h.reshape(-1)[present]
    row, day = present // (days * MANUAL_SLOTS), present // MANUAL_SLOTS % days
    span = (iv["nat_b"] - iv["nat_a"])[row, day]
    when = iv["nat_a"][row, day] + (_bits(h, 16, 24) * span).astype(np.int64)
    inside = (when >= iv["a"][row, day]) & (when < iv["b"][row, day])
    user = inside & (_bits(h, 40, 12) < p.non_root_share[klass][row])
    root_run = inside & ~user
    refresh_run = root_run & (_bits(h, 52, 12) < p.refresh_share[klass][row])
    root = np.full(n * days * MANUAL_SLOTS, NEVER, np.int64)
    root[present[root_run]] = when[root_run]
    refresh = np.zeros(n * days * MANUAL_SLOTS, bool)
    refresh[present[refresh_run]] = True
    root, refresh = root.reshape(n, -1), refresh.reshape(n, -1)
    # cloud-init's `dnf update` on an instance's first boot
    first_boot = b.installed[idx] & b.cloud_init[idx]
    boot_run = np.where(first_boot, b.install_time[idx] + 60 + sim.rng.integers(0, 240, n), NEVER)
    boot_run = np.where(boot_run < sim.alive_end[idx], boot_run, NEVER)
    root = np.concatenate([root, boot_run[:, None]], axis=1)
    refresh = np.concatenate([refresh, first_boot[:, None]], axis=1)
    # Keep the columns that hold any run, earliest first.
    order = np.argsort(root, axis=1, kind="stable")
    width = max(1, int((root < NEVER).sum(axis=1).max()))
    root = np.take_along_axis(root, order[:, :width], axis=1)
    refresh = np.take_along_axis(refresh, order[:, :width], axis=1)
    return root, refresh, (row[user], when[user])


def fetches(sim, idx, iv, root, refresh):
    """Root metadata fetches in rounds: round r holds each system's r-th fetch of the week.

    Returns the rounds [(rows of idx, times)] and each system's last fetch.
    """
    b, p = sim.systems, sim.params
    n = len(idx)
    expire = p.metadata_expire[sim.major[idx]]
    last = b.last_fetch[idx].copy()
    current = np.full(n, sim.W0 - 1, np.int64)
    start, end, boot = iv["a"], iv["b"], iv["boot"]
    # A switched-off timer closes every interval: one array to gather and test per round, not two.
    valid = iv["valid"] & b.timer[idx][:, None]
    check = start + np.where(boot, p.boot_delay, 0)
    active = np.arange(n)
    rounds = []
    while len(active):
        due = last[active] + expire[active]
        wait = sim.rng.integers(0, p.check_interval, len(active))
        after_expiry = (due + wait)[:, None]
        # Checks run every check_interval or so while switched on: the fetch follows expiry by
        # up to one interval, or the first check of an interval that starts with a boot; an
        # interval that merely continues (a new week) starts with a check pending.
        starts = start[active]
        first_check = check[active]
        at_boot = np.where(due[:, None] <= first_check, first_check, after_expiry)
        going_on = np.where(after_expiry >= starts, after_expiry, starts + wait[:, None])
        candidate = np.where(boot[active], at_boot, going_on)
        usable = valid[active] & (candidate < end[active]) & (candidate > current[active][:, None])
        timer_time = np.where(usable, candidate, NEVER).min(axis=1)
        runs = root[active]
        qualifies = (runs > current[active][:, None]) & ((runs >= due[:, None]) | refresh[active])
        run_time = np.where(qualifies, runs, NEVER).min(axis=1)
        when = np.minimum(timer_time, run_time)
        hit = when < NEVER
        active, when = active[hit], when[hit]
        if len(active):
            rounds.append((active, when))
            last[active] = when
            current[active] = when
    return rounds, last
