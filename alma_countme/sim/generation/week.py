"""One week of one block: when systems run dnf, what they request, and what the service logs.

A system's week is a set of switched-on intervals (whole days for servers and
cloud instances, working hours in their time zone for desktops). In them the
dnf-makecache timer fetches metadata once it has expired, and dnf runs (root
or not, some with --refresh) fetch when they must. Each root fetch requests
every enabled repo's mirrorlist; each request goes through the countme model
(:mod:`alma_countme.sim.generation.vstep`) with that repo's cookie. CI pipelines start
containers that run dnf once with fresh cookies. Some first tries fail and are
retried without the flag, and other clients add their own requests.

The result is a :class:`WeekLines` (what to write) and a :class:`WeekStats`
(the truth about it), both additive over blocks.
"""

import numpy as np

from alma_countme.sim.common import rand
from alma_countme.sim.common.arrays import distinct, distinct_first, distinct_inverse
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import DAY, MANUAL_SLOTS, ROLE_COUNT, WEEK
from alma_countme.sim.generation import network, vstep

NEVER = np.iinfo(np.int64).max
COLUMNS = 9  # (local) days that can overlap one UTC week
CONTAINER_ID = 1 << 44  # ids of containers: CONTAINER_ID | system id << 16 | number in the week
NOISE_ID = 1 << 62  # ids of other clients' requests: NOISE_ID | block << 30 | number
POOL_SIZE = 1024  # addresses per kind of other client and block


class Lines:
    """Columns of log lines being gathered (numpy arrays of equal length)."""

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
        return {name: (np.concatenate(self.parts[name]).astype(dtypes[name]) if self.parts[name]
                       else np.zeros(0, dtypes[name])) for name in self.FIELDS}


class WeekStats:
    """The truth about one week's lines, additive over blocks."""

    def __init__(self, catalog, country_count=0):
        c = catalog
        fields, repos = len(c.agent_fields), len(c.repo_pairs)
        self.active = 0
        self.active_by_class = np.zeros(len(cat.CLASSES), np.int64)
        self.active_by_behaviour = np.zeros(len(cat.BEHAVIOURS), np.int64)
        self.true_age = np.zeros(vstep.BUCKET_COUNT + 1, np.int64)
        self.versions = np.zeros(len(c.versions), np.int64)
        self.arches = np.zeros(len(cat.ARCHES), np.int64)
        self.hits_by_bucket = np.zeros(vstep.BUCKET_COUNT + 1, np.int64)
        self.estimate_by_bucket = np.zeros(vstep.BUCKET_COUNT + 1, np.int64)
        self.truth = np.zeros((fields, vstep.BUCKET_COUNT + 1, repos), np.int64)  # countme rows
        self.unique = np.zeros((fields, repos), np.int64)  # unique-address rows (7 days summed)
        self.countme_span = [NEVER, -NEVER]  # first and last counted countme line
        self.unique_span = [NEVER, -NEVER]  # first and last counted line without countme
        self.addresses = 0
        self.libdnf_addresses = 0
        self.lines = 0
        self.requests = 0
        self.noise = 0
        self.retries = 0
        self.flags_sent = 0
        self.nudged = 0
        # Per country (countries.mix order) and bucket: true active systems by install age, countme
        # hits on every repo, and on the reference repo (the estimate).
        self.active_by_country = np.zeros((country_count, vstep.BUCKET_COUNT + 1), np.int64)
        self.hits_by_country = np.zeros((country_count, vstep.BUCKET_COUNT + 1), np.int64)
        self.estimate_by_country = np.zeros((country_count, vstep.BUCKET_COUNT + 1), np.int64)

    def add(self, other):
        for name, value in vars(other).items():
            if name.endswith("_span"):
                mine = getattr(self, name)
                setattr(self, name, [min(mine[0], value[0]), max(mine[1], value[1])])
            else:
                setattr(self, name, getattr(self, name) + value)
        return self


_TWO_BITS = np.arange(0, 2 * ROLE_COUNT, 2, dtype=np.int64)[None, :]
_BIT_SCALE = {bits: 1.0 / (1 << bits) for bits in range(1, 33)}


def _bits(h, low, count):
    """A uniform in [0, 1) from ``count`` bits of the uint64 hashes ``h`` starting at bit ``low``."""
    return ((h >> np.uint64(low)) & np.uint64((1 << count) - 1)).astype(np.float64) * _BIT_SCALE[count]


class WeekSimulation:
    """Simulates ``block`` for ``week`` (after :meth:`Block.begin_week`)."""

    def __init__(self, block, week, servers):
        self.block = block
        self.params = block.params
        self.catalog = block.catalog
        self.seed = block.seed
        self.week = week
        self.servers = servers
        self.W0 = block.plan.week_start(week)
        self.W1 = self.W0 + WEEK
        # The warm-up week before the run (week -1) has streams of its own.
        keys = (block.number, week) if week >= 0 else (block.number, 1 << 20)
        self.rng = rand.generator(self.seed, rand.ACTIVITY, *keys)
        self.countme_rng = rand.generator(self.seed, rand.COUNTME, *keys)
        self.lines = Lines()
        self.recording = True

    def _prepare(self):
        b = self.block
        alive = b.status == b.ALIVE
        self.alive_start = np.where(b.installed, b.install_time, self.W0)
        self.alive_end = np.minimum(b.decommission, self.W1)
        self.online = alive & (b.offline_left == 0) & (self.alive_end > self.alive_start)
        self.arch = b.arch()
        self.roles = b.roles()
        self.major = self.catalog.version_major[b.version]
        self.agent = self.catalog.agent_index(b.version, self.arch, b.os_release)

    def warm_up(self, systems):
        """Step the cookies of ``systems`` through this week (the one before the run), writing nothing.

        Starting cookies are an estimate of a steady state; a week of the model
        itself leaves budgets carried over where few requests do not spend them.
        """
        self._prepare()
        self.recording = False
        idx = np.flatnonzero(systems & self.online & (self.block.klass != cat.CI))
        if len(idx):
            self._persistent(idx)

    # ---- the whole week ---------------------------------------------------------------------------

    def run(self):
        b = self.block
        self._prepare()
        persistent = np.flatnonzero(self.online & (b.klass != cat.CI))
        if len(persistent):
            self._persistent(persistent)
        pipelines = np.flatnonzero(self.online & (b.klass == cat.CI))
        if len(pipelines):
            self._containers(pipelines)
        columns = self.lines.done()
        retries = self._retries(columns)
        noise = self._noise(int(self.online.sum()))
        parts = [part for part in (columns, retries, noise) if part is not None]
        return {name: np.concatenate([part[name].astype(columns[name].dtype, copy=False) for part in parts])
                for name in columns} if len(parts) > 1 else columns

    # ---- persistent systems -----------------------------------------------------------------------

    def _persistent(self, idx):
        desktop = self.block.klass[idx] == cat.DESKTOP
        for group, days in ((idx[~desktop], self._utc_days), (idx[desktop], self._desktop_days)):
            if not len(group):
                continue
            iv = days(group)
            root_runs, refresh, user_runs = self._manual_runs(group, iv)
            timer = iv if days == self._desktop_days else self._always_on(group)
            rounds, last = self._fetches(group, timer, root_runs, refresh)
            self._root_requests(group, rounds)
            if self.recording:
                self._user_requests(group, user_runs)
            self.block.last_fetch[group] = last

    def _clip(self, idx, nat_a, nat_b, natural_boot, day):
        """Intervals clipped to the week and to the system's life; boots where a system starts."""
        b = self.block
        low = np.maximum(self.alive_start[idx], self.W0)[:, None]
        high = self.alive_end[idx][:, None]
        a = np.maximum(nat_a, low)
        e = np.minimum(nat_b, high)
        valid = e > a
        fresh = (b.installed[idx] | b.was_offline[idx])[:, None]
        boot = valid & ((natural_boot & (nat_a >= low)) | (fresh & (a == low)))
        return dict(a=a, b=e, valid=valid, boot=boot, day=day, nat_a=nat_a, nat_b=nat_b)

    def _utc_days(self, idx):
        """Servers and cloud instances: the week's seven UTC days (where dnf runs fall)."""
        utc_day = self.W0 // DAY + np.arange(7)[None, :]
        nat_a = np.repeat(utc_day * DAY, len(idx), axis=0)
        day = np.repeat(utc_day, len(idx), axis=0)
        return self._clip(idx, nat_a, nat_a + DAY, np.zeros(nat_a.shape, bool), day)

    def _always_on(self, idx):
        """Servers and cloud instances for the timer: one interval, the week (or their part of it)."""
        b = self.block
        low = np.maximum(self.alive_start[idx], self.W0)[:, None]
        high = self.alive_end[idx][:, None]
        fresh = (b.installed[idx] | b.was_offline[idx])[:, None]
        return dict(a=low, b=high, valid=high > low, boot=fresh & (high > low))

    def _desktop_days(self, idx):
        """Desktops: switched on on most weekdays, for working hours in their time zone."""
        b, p = self.block, self.params
        tz = b.timezone[idx][:, None]
        local_day = (self.W0 + tz) // DAY - 1 + np.arange(COLUMNS)[None, :]
        midnight = local_day * DAY - tz
        weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday; 0 is Monday
        # One hash per (system, local day): the same whichever week asks (days straddle weeks).
        h = rand.hash64(self.seed, rand.DESKTOP_DAY, (b.ids[idx][:, None] << 24) | (local_day & 0xFFFFFF))
        on_weekday, on_weekend = p.desktop_on
        on = _bits(h, 0, 16) < np.where(weekday < 5, on_weekday, on_weekend)
        low, high = p.desktop_start
        start = midnight + ((low + _bits(h, 16, 24) * (high - low)) * 3600).astype(np.int64)
        low, high = p.desktop_hours
        hours = ((low + _bits(h, 40, 24) * (high - low)) * 3600).astype(np.int64)
        end = np.where(on, start + hours, start)
        return self._clip(idx, start, end, np.ones(start.shape, bool), local_day)

    def _manual_runs(self, idx, iv):
        """dnf runs in the intervals: root runs (time or NEVER, in order), their --refresh flags,
        and user runs (system row, time)."""
        b, p = self.block, self.params
        klass = b.klass[idx]
        slot = np.arange(MANUAL_SLOTS)[None, None, :]
        h = rand.hash64(self.seed, rand.MANUAL_RUN,
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
        boot_run = np.where(first_boot, b.install_time[idx] + 60 + self.rng.integers(0, 240, n), NEVER)
        boot_run = np.where(boot_run < self.alive_end[idx], boot_run, NEVER)
        root = np.concatenate([root, boot_run[:, None]], axis=1)
        refresh = np.concatenate([refresh, first_boot[:, None]], axis=1)
        # Keep the columns that hold any run, earliest first.
        order = np.argsort(root, axis=1, kind="stable")
        width = max(1, int((root < NEVER).sum(axis=1).max()))
        root = np.take_along_axis(root, order[:, :width], axis=1)
        refresh = np.take_along_axis(refresh, order[:, :width], axis=1)
        return root, refresh, (row[user], when[user])

    def _fetches(self, idx, iv, root, refresh):
        """Root metadata fetches in rounds: round r holds each system's r-th fetch of the week.

        Returns the rounds [(rows of idx, times)] and each system's last fetch.
        """
        b, p = self.block, self.params
        n = len(idx)
        expire = p.metadata_expire[self.major[idx]]
        last = b.last_fetch[idx].copy()
        current = np.full(n, self.W0 - 1, np.int64)
        timer = b.timer[idx][:, None]
        start, end, valid, boot = iv["a"], iv["b"], iv["valid"], iv["boot"]
        check = start + np.where(boot, p.boot_delay, 0)
        active = np.arange(n)
        rounds = []
        while len(active):
            due = last[active] + expire[active]
            wait = self.rng.integers(0, p.check_interval, len(active))
            after_expiry = (due + wait)[:, None]
            # Checks run every check_interval or so while switched on: the fetch follows expiry by
            # up to one interval, or the first check of an interval that starts with a boot; an
            # interval that merely continues (a new week) starts with a check pending.
            starts = start[active]
            first_check = check[active]
            at_boot = np.where(due[:, None] <= first_check, first_check, after_expiry)
            going_on = np.where(after_expiry >= starts, after_expiry, starts + wait[:, None])
            candidate = np.where(boot[active], at_boot, going_on)
            usable = (valid[active] & (candidate < end[active]) & (candidate > current[active][:, None])
                      & timer[active])
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

    def _requests_of(self, systems, when):
        """(fetch index, role, time) of every enabled repo's request, a second or two apart."""
        roles = self.roles[systems]
        # 0 to 3 seconds between repos: two bits per repo of one draw per fetch.
        bits = self.rng.integers(0, 1 << (2 * ROLE_COUNT), len(systems))
        step = np.where(roles, (bits[:, None] >> _TWO_BITS) & 3, 0)
        offset = np.cumsum(step, axis=1) - step
        fetch, role = np.nonzero(roles)
        times = np.minimum(when[fetch] + offset[fetch, role], self.W1 - 1)
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
        b = self.block
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
        draws = vstep.draw_budgets(self.countme_rng, len(g))
        flag, bucket, epoch, window, budget, _ = vstep.countme_step(
            epoch, windows[cookie], budgets[cookie], now, system_epoch, draws)
        epochs[cookie], windows[cookie], budgets[cookie] = epoch, window, budget
        result[counts] = bucket
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
        b, c = self.block, self.catalog
        path = c.system_paths(self.major[local], role, self.arch[local], b.style[local])
        self.lines.add(t=times, sysid=b.ids[local] if sysid is None else sysid, server=server,
                       addr=self._address(local, times), path=path, countme=countme,
                       status=c.path_status[path], method=cat.GET, ua=self.agent[local], local=local)

    def _address(self, local, times):
        """Address ids (see network.address_ids) of systems ``local`` at ``times``."""
        b = self.block
        lease = np.where(b.dynamic[local], (times + b.lease_phase[local]) // b.lease_period[local], 0)
        return network.address_ids(b.group[local], lease, b.ipv6[local])

    # ---- CI containers ----------------------------------------------------------------------------

    def _containers(self, pipelines):
        """Each container: one root dnf run with fresh cookies, from its pipeline's address."""
        b, p = self.block, self.params
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

    # ---- retries and other clients ----------------------------------------------------------------

    def _retries(self, columns):
        """Some first tries fail (logged with that status) and come again without countme."""
        p = self.params
        count = len(columns["t"])
        failed = np.flatnonzero(self.rng.random(count) < p.retry_share)
        self.retry_count = len(failed)
        if not len(failed):
            return None
        first = p.retry_status[np.searchsorted(np.cumsum(p.retry_status_shares)[:-1],
                                               self.rng.random(len(failed)), side="right")]
        low, high = p.retry_delay
        delay = (low + self.rng.random(len(failed)) * (high - low)).astype(np.int64)
        retry = {name: columns[name][failed].copy() for name in columns}
        columns["status"][failed] = first
        retry["t"] = np.minimum(retry["t"] + delay, self.W1 - 1)
        retry["countme"][:] = 0
        retry["server"] = self.rng.integers(0, self.servers, len(failed)).astype(np.int16)
        system = retry["sysid"] < NOISE_ID
        retry["addr"][system] = self._address(retry["local"][system], retry["t"][system])
        return retry

    def _noise(self, online):
        """Requests of other clients (curl, monitoring, old yum, bots, scanners)."""
        p, c, b = self.params, self.catalog, self.block
        count = int(self.rng.poisson(p.noise_rate * online)) if online else 0
        self.noise_count = count
        if not count:
            return None
        kind = np.searchsorted(np.cumsum(p.noise_shares)[:-1], self.rng.random(count), side="right")
        agent = np.zeros(count, np.int32)
        path = np.zeros(count, np.int32)
        method = np.zeros(count, np.int8)
        pool = np.zeros(count, np.int64)
        for index, name in enumerate(cat.NOISE_KINDS):
            spec = cat.NOISE[name]
            mine = kind == index
            size = int(mine.sum())
            agent[mine] = c.noise_agent_offsets[name] + self.rng.integers(0, len(spec["agents"]), size)
            path[mine] = c.noise_path_offsets[name] + self.rng.integers(0, len(spec["paths"]), size)
            method[mine] = spec["method"]
            pool[mine] = network.POOL_BASE + index * POOL_SIZE + self.rng.integers(0, spec["pool"], size)
        t = self.W0 + self.rng.integers(0, WEEK, count)
        addr = network.address_ids(pool, 0, False)
        return dict(t=t, sysid=NOISE_ID | (b.number << 30) | np.arange(count),
                    server=self.rng.integers(0, self.servers, count).astype(np.int16), addr=addr, path=path,
                    countme=np.zeros(count, np.int8), status=c.path_status[path], method=method, ua=agent,
                    local=np.full(count, -1, np.int32))


# ---- what the week's lines are worth ---------------------------------------------------------------

def _runs_of_equal(keys):
    """For rows sorted by ``keys`` (list of arrays): each row's rank within its run of equal rows."""
    size = len(keys[0])
    if size == 0:
        return np.zeros(0, np.int64)
    starts = np.zeros(size, bool)
    starts[0] = True
    for key in keys:
        starts[1:] |= key[1:] != key[:-1]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(size), 0))
    return np.arange(size) - run_start


def _counted(columns, catalog):
    """Lines a correct pipeline reads at all: GET or HEAD, status 200 or 302, a counted path."""
    status = columns["status"]
    ok, moved = cat.COUNTED_STATUSES
    return ((status == ok) | (status == moved)) & (catalog.truth_tag[columns["path"]] >= 0)


def make_unique(columns, catalog, W0, W1):
    """Move countme lines that would be identical items in mirrors-countme by a second.

    mirrors-countme's parser (SQLite mode) stores identical items (second,
    address, agent fields, age, repo) once; real traffic rarely has them, and
    moving one of two by a second keeps every hit countable by either mode.
    Returns the number of lines moved.
    """
    moved = 0
    fields_bits = max(1, int(len(catalog.agent_fields) - 1).bit_length())
    tag_bits = max(1, int(len(catalog.repo_pairs) - 1).bit_length())
    assert 20 + 22 + fields_bits + 3 + tag_bits <= 63, "schema.MAX_VERSIONS keeps the item key in 64 bits"
    for _ in range(100):
        truth = np.flatnonzero(_counted(columns, catalog) & (columns["countme"] > 0))
        # One integer per item: time in the week (20 bits), address id (22), agent fields, age (3), repo.
        key = (columns["t"][truth] - W0) << np.int64(22) | columns["addr"][truth]
        key = (key << np.int64(fields_bits)) | catalog.agent_fields_id[columns["ua"][truth]]
        key = (key << np.int64(3)) | columns["countme"][truth]
        key = (key << np.int64(tag_bits)) | catalog.truth_tag[columns["path"][truth]]
        ordered = np.sort(key)
        if not (ordered[1:] == ordered[:-1]).any():  # the usual case: nothing to move
            return moved
        order = np.argsort(key, kind="stable")
        rank = _runs_of_equal([key[order]])
        duplicate = rank > 0
        if not duplicate.any():
            return moved
        rows = truth[order[duplicate]]
        shifted = columns["t"][rows] + rank[duplicate]
        columns["t"][rows] = np.where(shifted < W1, shifted, columns["t"][rows] - rank[duplicate])
        moved += int(duplicate.sum())
    raise RuntimeError("could not make countme items unique")


def summarise(sim, columns):
    """The WeekStats of a block's week (after :func:`index_addresses`)."""
    c, b = sim.catalog, sim.block
    countries = b.params.countries
    stats = WeekStats(c, len(countries.codes) if countries is not None else 0)
    stats.lines = len(columns["t"])
    sysid, local = columns["sysid"], columns["local"]
    system = sysid < NOISE_ID
    stats.requests = int(system.sum())
    stats.noise = stats.lines - stats.requests
    stats.retries = sim.retry_count
    stats.flags_sent = int((columns["countme"] > 0).sum())

    persistent = np.flatnonzero(np.bincount(local[sysid < CONTAINER_ID], minlength=network.BLOCK))
    in_container = (sysid >= CONTAINER_ID) & system
    container_ids, first = distinct_first(sysid[in_container])
    owners = local[in_container][first]
    stats.active = len(persistent) + len(container_ids)
    every = np.concatenate([persistent, owners])
    stats.versions += np.bincount(b.version[every], minlength=len(c.versions))
    stats.arches += np.bincount(sim.arch[every], minlength=len(cat.ARCHES))
    stats.active_by_class += np.bincount(b.klass[persistent], minlength=len(cat.CLASSES))
    stats.active_by_class[cat.CI] += len(container_ids)
    stats.active_by_behaviour += np.bincount(b.behaviour[every], minlength=len(cat.BEHAVIOURS))
    age = vstep.bucket(vstep.monday_epoch(b.install_time[persistent]), sim.W0)
    stats.true_age += np.bincount(age, minlength=vstep.BUCKET_COUNT + 1)
    stats.true_age[1] += len(container_ids)  # a container is always in its first week

    counted = _counted(columns, c)
    countme = columns["countme"].astype(np.int64)
    fields = c.agent_fields_id[columns["ua"]].astype(np.int64)
    tag = c.truth_tag[columns["path"]].astype(np.int64)
    truth = counted & (countme > 0)
    shape = stats.truth.shape
    cell = (fields[truth] * shape[1] + countme[truth]) * shape[2] + tag[truth]
    stats.truth += np.bincount(cell, minlength=stats.truth.size).reshape(shape)
    stats.hits_by_bucket += np.bincount(countme[truth], minlength=vstep.BUCKET_COUNT + 1)
    baseos = truth & (c.path_role[columns["path"]] == cat.BASEOS)
    stats.estimate_by_bucket += np.bincount(countme[baseos], minlength=vstep.BUCKET_COUNT + 1)
    if countries is not None:
        _by_country(stats, b, persistent, age, owners, local, countme, truth, baseos)
    if truth.any():
        stats.countme_span = [int(columns["t"][truth].min()), int(columns["t"][truth].max())]
    plain = counted & (countme == 0)
    if plain.any():
        stats.unique_span = [int(columns["t"][plain].min()), int(columns["t"][plain].max())]
    # Unique-address rows: distinct (day, address, agent fields, repo) of counted lines.
    address = columns["addr_index"].astype(np.int64)
    day = (columns["t"] - sim.W0) // DAY
    groups = stats.unique.shape
    key = ((day[counted] * (address.max() + 1 if len(address) else 1) + address[counted]) * groups[0]
           + fields[counted]) * groups[1] + tag[counted]
    if len(key) and key.max() < (1 << 32):
        key = key.astype(np.uint32)  # half the bytes: a faster sort
    cells = distinct(key).astype(np.int64) % (groups[0] * groups[1])
    stats.unique += np.bincount(cells, minlength=stats.unique.size).reshape(groups)
    stats.addresses = int(address.max() + 1) if len(address) else 0
    stats.libdnf_addresses = int(np.count_nonzero(np.bincount(address[columns["ua"] < c.system_agent_count])))
    return stats


def _by_country(stats, block, persistent, age, owners, local, countme, truth, baseos):
    """Per country and bucket: true active systems, countme hits (all repos, and the reference repo)."""
    width = vstep.BUCKET_COUNT + 1
    size = stats.active_by_country.size
    cells = np.concatenate([block.country[persistent].astype(np.int64) * width + age,
                            block.country[owners].astype(np.int64) * width + 1])  # containers: first week
    shape = stats.active_by_country.shape
    stats.active_by_country += np.bincount(cells, minlength=size).reshape(shape)
    country = block.country[local].astype(np.int64)
    stats.hits_by_country += np.bincount(country[truth] * width + countme[truth],
                                         minlength=size).reshape(shape)
    stats.estimate_by_country += np.bincount(country[baseos] * width + countme[baseos],
                                             minlength=size).reshape(shape)


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


# A line between the phases: second of the week, index into the address table, into the suffix keys.
LINE_DTYPE = np.dtype([("t", "<i4"), ("addr", "<i4"), ("suffix", "<i4")])


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


def output(sim, columns):
    """Lines sorted by (day, server, time, order of generation), the offsets of each (day, server),
    and the block-week's distinct suffix keys.

    ``addr`` is a line's index into the block-week's address table (see
    :func:`index_addresses`), ``suffix`` its index into the suffix keys.
    """
    count = len(columns["t"])
    day = (columns["t"] - sim.W0) // DAY
    group = day * sim.servers + columns["server"]
    # One sort of (group, second of the day, line number) packed in an int64: the line number
    # makes it stable (lines of one second stay in the order they were made) at quicksort's speed.
    key = ((group << np.int64(17)) | (columns["t"] - sim.W0 - day * DAY)) << np.int64(INDEX_BITS)
    order = np.sort(key | np.arange(count, dtype=np.int64)) & np.int64((1 << INDEX_BITS) - 1)
    lines = np.empty(count, LINE_DTYPE)
    lines["t"] = columns["t"][order] - sim.W0
    lines["addr"] = columns["addr_index"][order]
    c = sim.catalog
    space = c.path_count * (vstep.BUCKET_COUNT + 1) * len(cat.STATUSES) * len(cat.METHODS) * len(c.agents)
    keys, suffix = _dense_index(suffix_keys(columns, c), space)
    lines["suffix"] = suffix[order]
    counts = np.bincount(group, minlength=7 * sim.servers)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return lines, offsets, keys


INDEX_BITS = 63 - 17 - 9  # line numbers within a block-week (up to 2**37); 9 bits of (day, server)
