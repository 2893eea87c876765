"""One week of one block: when systems run dnf, what they request, and what the service logs.

A system's week is a set of switched-on intervals (whole days for servers and
cloud instances, working hours in their time zone for desktops). In them the
dnf-makecache timer fetches metadata once it has expired, and dnf runs (root
or not, some with --refresh) fetch when they must. Each root fetch requests
every enabled repo's mirrorlist; each request goes through the countme model
(:mod:`alma_countme.sim.generation.vstep`) with that repo's cookie. CI pipelines start
containers that run dnf once with fresh cookies. Some first tries fail and are
retried without the flag, and other clients add their own requests.

The week reads its block through the block's :class:`population.WeekSystems`
(and steps the cookies and fetch times there). This module holds the week's
course and the requests; when systems are on and fetch is :mod:`schedule`'s,
retries and other clients are :mod:`otherclients`'. The result is the week's
lines as columns (:mod:`linerecords` describes them): :mod:`weekstats` counts
the truth about them, and :func:`linerecords.output` makes them the records
the log files are written from.
"""

import numpy as np

from alma_countme.sim.common import rand
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import DAY, ROLE_COUNT, WEEK
from alma_countme.sim.generation import network, otherclients, schedule, vstep
from alma_countme.sim.generation.linerecords import CONTAINER_ID


class Lines:
    """Columns of log lines being gathered (numpy arrays of equal length; see :mod:`linerecords`)."""

    FIELDS = ("t", "sysid", "server", "addr", "path", "countme", "status", "method", "ua", "local")

    def __init__(self):
        self.parts = {name: [] for name in self.FIELDS}

    def add(self, **columns):
        size = len(columns["t"])
        for name in self.FIELDS:
            value = columns.get(name, 0)
            self.parts[name].append(np.broadcast_to(value, (size,)) if np.ndim(value) == 0 else value)

    def done(self):
        dtypes = dict(t=np.int64, sysid=np.int64, server=np.int16, addr=np.int32, path=np.int32,
                      countme=np.int8, status=np.int8, method=np.int8, ua=np.int32, local=np.int32)
        # Straight into the column's dtype: concatenate-then-astype would copy every column twice.
        return {name: (np.concatenate(self.parts[name], dtype=dtypes[name], casting="unsafe")
                       if self.parts[name] else np.zeros(0, dtypes[name])) for name in self.FIELDS}


_TWO_BITS = np.arange(0, 2 * ROLE_COUNT, 2, dtype=np.int32)[None, :]


class WeekSimulation:
    """Simulates one block's week: ``systems`` is its :class:`population.WeekSystems`, ``servers``
    the number of service nodes the requests are spread over."""

    def __init__(self, systems, servers):
        self.systems = systems
        self.params = systems.params
        self.catalog = systems.catalog
        self.seed = systems.seed
        self.week = week = systems.week
        self.servers = servers
        self.W0 = systems.week_start
        self.W1 = self.W0 + WEEK
        # The warm-up week before the run (week -1) has streams of its own.
        keys = (systems.number, week) if week >= 0 else (systems.number, 1 << 20)
        self.rng = rand.generator(self.seed, rand.ACTIVITY, *keys)
        self.countme_rng = rand.generator(self.seed, rand.COUNTME, *keys)
        self.lines = Lines()
        self.recording = True

    def _prepare(self):
        b = self.systems
        self.alive_start = np.where(b.installed, b.install_time, self.W0)
        self.alive_end = np.minimum(b.decommission, self.W1)
        self.online = b.alive & (b.offline_left == 0) & (self.alive_end > self.alive_start)
        self.arch = b.arch
        self.roles = b.roles
        self.major = self.catalog.version_major[b.version]
        self.agent = self.catalog.agent_index(b.version, self.arch, b.os_release)

    def warm_up(self, systems):
        """Step the cookies of ``systems`` through this week (the one before the run), writing nothing.

        Starting cookies are an estimate of a steady state; a week of the model
        itself leaves budgets carried over where few requests do not spend them.
        """
        self._prepare()
        self.recording = False
        idx = np.flatnonzero(systems & self.online & (self.systems.klass != cat.CI))
        if len(idx):
            self._persistent(idx)

    # ---- the whole week ---------------------------------------------------------------------------

    def run(self):
        """The week's lines, as columns (see :mod:`linerecords`)."""
        b = self.systems
        self._prepare()
        persistent = np.flatnonzero(self.online & (b.klass != cat.CI))
        if len(persistent):
            self._persistent(persistent)
        pipelines = np.flatnonzero(self.online & (b.klass == cat.CI))
        if len(pipelines):
            self._containers(pipelines)
        columns = self.lines.done()
        retries, self.retry_count = otherclients.retries(self, columns)
        noise = otherclients.noise(self, int(self.online.sum()))
        parts = [part for part in (columns, retries, noise) if part is not None]
        return {name: np.concatenate([part[name].astype(columns[name].dtype, copy=False) for part in parts])
                for name in columns} if len(parts) > 1 else columns

    # ---- persistent systems -----------------------------------------------------------------------

    def _persistent(self, idx):
        desktop = self.systems.klass[idx] == cat.DESKTOP
        for group, days in ((idx[~desktop], schedule.utc_days), (idx[desktop], schedule.desktop_days)):
            if not len(group):
                continue
            iv = days(self, group)
            root_runs, refresh, user_runs = schedule.manual_runs(self, group, iv)
            timer = iv if days == schedule.desktop_days else schedule.always_on(self, group)
            rounds, last = schedule.fetches(self, group, timer, root_runs, refresh)
            self._root_requests(group, rounds)
            if self.recording:
                self._user_requests(group, user_runs)
            self.systems.last_fetch[group] = last

    def _requests_of(self, systems, when):
        """(fetch index, role, time) of every enabled repo's request, a second or two apart."""
        roles = self.roles[systems]
        # 0 to 3 seconds between repos: two bits per repo of one draw per fetch.
        # int32 and int8 suffice (the draw has 2 * ROLE_COUNT bits, an offset is at most 3 * ROLE_COUNT)
        # and take a fraction of int64's time; one flat index is cheaper than a (row, column) pair.
        bits = self.rng.integers(0, 1 << (2 * ROLE_COUNT), len(systems)).astype(np.int32)
        step = ((bits[:, None] >> _TWO_BITS) & 3).astype(np.int8)
        step *= roles
        offset = np.cumsum(step, axis=1, dtype=np.int8) - step
        flat = np.flatnonzero(roles)
        fetch = flat // ROLE_COUNT
        role = flat - fetch * ROLE_COUNT
        times = np.minimum(when[fetch] + offset.reshape(-1)[flat], self.W1 - 1)
        return fetch, role, times

    def _root_requests(self, idx, rounds):
        if not rounds:
            return
        systems = idx[np.concatenate([rows for rows, _ in rounds])]
        when = np.concatenate([times for _, times in rounds])
        fetch, role, times = self._requests_of(systems, when)
        local = systems[fetch]
        server = self.rng.integers(0, self.servers, len(systems))[fetch]
        # Requests come round by round (np.nonzero keeps fetch order), and a round holds one fetch
        # per system: stepping the cookies a round at a time keeps each cookie's steps in order.
        sizes = np.array([len(rows) for rows, _ in rounds])
        bounds = np.searchsorted(fetch, np.concatenate([[0], np.cumsum(sizes)]))
        countme = np.zeros(len(fetch), np.int8)
        for begin, end in zip(bounds[:-1], bounds[1:]):
            countme[begin:end] = self._countme(local[begin:end], role[begin:end], times[begin:end])
        if self.recording:
            self._add_system_lines(local, role, times, countme, server)

    def _countme(self, local, role, times):
        """Each request through the countme model with its repo's cookie; returns countme (0 = none)."""
        b = self.systems
        behaviour = b.behaviour[local]
        counts = (behaviour == cat.LEGACY) | (behaviour == cat.MACHINE_ID) | (behaviour == cat.PLUGIN)
        # Before its repo files carry countme=1, libdnf neither sends the flag nor touches the cookie.
        counts &= times >= self.params.countme_since[self.major[local]]
        result = np.zeros(len(local), np.int8)
        if not counts.any():
            return result
        g, r = local[counts], role[counts]
        now = times[counts] + b.skew[g]
        mid = b.mid_mtime[g]
        install_epoch = vstep.monday_epoch(mid)
        system_epoch = np.where((b.behaviour[g] == cat.MACHINE_ID) & (mid > 0), install_epoch, 0)
        # The plugin writes the install epoch into the cookie before libdnf reads it
        # (machine-id valid and not in the future), and libdnf's legacy rule then uses it.
        plugin = (b.behaviour[g] == cat.PLUGIN) & (mid > 0) & (mid <= now)
        # Flat views of the (system, repo) cookie arrays: one index is cheaper than two.
        cookie = g * ROLE_COUNT + r
        epochs, windows, budgets = b.epoch.reshape(-1), b.window.reshape(-1), b.budget.reshape(-1)
        epoch = np.where(plugin, install_epoch, epochs[cookie])
        window = windows[cookie]
        draws = vstep.draw_budgets(self.countme_rng, len(g))
        # The plugin's epoch is in the cookie whatever libdnf does next; libdnf changes nothing else
        # in the cookie of a request in a window already counted (it does not even write it), so
        # the model runs on the other requests alone.
        epochs[cookie[plugin]] = install_epoch[plugin]
        step = np.flatnonzero(vstep.window_passed(window, now))
        cookie = cookie[step]
        _, bucket, epoch, window, budget, _ = vstep.countme_step(
            epoch[step], window[step], budgets[cookie], now[step], system_epoch[step], draws[step])
        epochs[cookie], windows[cookie], budgets[cookie] = epoch, window, budget
        result[np.flatnonzero(counts)[step]] = bucket
        return result

    def _user_requests(self, idx, user_runs):
        rows, when = user_runs
        if not len(rows):
            return
        g = idx[rows]
        fetch, role, times = self._requests_of(g, when)
        server = self.rng.integers(0, self.servers, len(g))[fetch]
        self._add_system_lines(g[fetch], role, times, 0, server)

    def _add_system_lines(self, local, role, times, countme, server, sysid=None):
        b, c = self.systems, self.catalog
        path = c.system_paths(self.major[local], role, self.arch[local], b.style[local])
        self.lines.add(t=times, sysid=b.ids[local] if sysid is None else sysid, server=server,
                       addr=self.address(local, times), path=path, countme=countme,
                       status=c.path_status[path], method=cat.GET, ua=self.agent[local], local=local)

    def address(self, local, times):
        """Address ids (see network.address_ids) of systems ``local`` at ``times``."""
        b = self.systems
        lease = np.where(b.dynamic[local], (times + b.lease_phase[local]) // b.lease_period[local], 0)
        return network.address_ids(b.group[local], lease, b.ipv6[local])

    # ---- CI containers ----------------------------------------------------------------------------

    def _containers(self, pipelines):
        """Each container: one root dnf run with fresh cookies, from its pipeline's address."""
        b, p = self.systems, self.params
        per_day = self.rng.poisson(p.containers_per_day, (len(pipelines), 7))
        owner = np.repeat(np.repeat(pipelines, 7), per_day.ravel())
        day = np.repeat(np.tile(np.arange(7), len(pipelines)), per_day.ravel())
        when = self.W0 + day * DAY + self.rng.integers(0, DAY, len(owner))
        keep = (when >= self.alive_start[owner]) & (when < self.alive_end[owner])
        number = np.arange(len(owner)) - np.repeat(np.cumsum(per_day.sum(axis=1)) - per_day.sum(axis=1),
                                                   per_day.sum(axis=1))
        owner, when, number = owner[keep], when[keep], number[keep]
        if not len(owner):
            return
        container = CONTAINER_ID | (b.ids[owner] << 16) | (number & 0xFFFF)
        fetch, role, times = self._requests_of(owner, when)
        local = owner[fetch]
        # A container has no machine-id and no plugin state: libdnf's legacy rule on default cookies.
        behaviour = b.behaviour[local]
        counts = (behaviour != cat.OPTED_OUT) & (behaviour != cat.COUNTME_REMOVED)
        counts &= times >= self.params.countme_since[self.major[local]]
        zeros = np.zeros(len(local), np.int64)
        draws = vstep.draw_budgets(self.countme_rng, len(local))
        default = vstep.model.DEFAULT_COOKIE
        _, bucket, _, _, _, _ = vstep.countme_step(
            np.full(len(local), default.epoch), np.full(len(local), default.window),
            np.full(len(local), default.budget), times + b.skew[local], zeros, draws)
        countme = np.where(counts, bucket, 0)
        server = self.rng.integers(0, self.servers, len(owner))[fetch]
        self._add_system_lines(local, role, times, countme, server, sysid=container[fetch])
