"""One week of one block: when systems run dnf, what they request, and what the service logs.

A system's week is a set of switched-on intervals (whole days for servers and
cloud instances, working hours in their time zone for desktops). In them the
dnf-makecache timer fetches metadata once it has expired, and dnf runs (root
or not, some with --refresh) fetch when they must. Each root fetch requests
every enabled repo's mirrorlist; each request goes through the countme model
(:mod:`alma_countme.sim.vstep`) with that repo's cookie. CI pipelines start
containers that run dnf once with fresh cookies. Some first tries fail and are
retried without the flag, and other clients add their own requests.

The result is a :class:`WeekLines` (what to write) and a :class:`WeekStats`
(the truth about it), both additive over blocks.
"""

import numpy as np

from alma_countme.sim import catalog as cat
from alma_countme.sim import network, rand, vstep
from alma_countme.sim.arrays import distinct, distinct_first, distinct_inverse
from alma_countme.sim.population import DAY, ROLE_COUNT, WEEK

NEVER = np.iinfo(np.int64).max
COLUMNS = 9  # (local) days that can overlap one UTC week
CONTAINER_ID = 1 << 44  # ids of containers: CONTAINER_ID | system id << 16 | number in the week
NOISE_ID = 1 << 62  # ids of other clients' requests: NOISE_ID | block << 30 | number
POOL_SIZE = 1024  # addresses per kind of other client and block
SEQ_RETRY, SEQ_USER = 16, 32  # order of a system's requests in the same second


class Lines:
    """Columns of log lines being gathered (numpy arrays of equal length)."""

    FIELDS = ("t", "sysid", "seq", "server", "addr", "path", "countme", "status", "method", "ua", "local")

    def __init__(self):
        self.parts = {name: [] for name in self.FIELDS}

    def add(self, **columns):
        size = len(columns["t"])
        for name in self.FIELDS:
            value = columns.get(name, 0)
            self.parts[name].append(np.broadcast_to(value, (size,)) if np.ndim(value) == 0 else value)

    def done(self):
        dtypes = dict(t=np.int64, sysid=np.int64, seq=np.int16, server=np.int16, addr=np.uint64, path=np.int32,
                      countme=np.int8, status=np.int8, method=np.int8, ua=np.int32, local=np.int32)
        return {name: (np.concatenate(self.parts[name]).astype(dtypes[name]) if self.parts[name]
                       else np.zeros(0, dtypes[name])) for name in self.FIELDS}


class WeekStats:
    """The truth about one week's lines, additive over blocks."""

    def __init__(self, catalog):
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

    def add(self, other):
        for name, value in vars(other).items():
            if name.endswith("_span"):
                mine = getattr(self, name)
                setattr(self, name, [min(mine[0], value[0]), max(mine[1], value[1])])
            else:
                setattr(self, name, getattr(self, name) + value)
        return self


def _uniform(seed, purpose, *keys):
    return rand.uniform(seed, purpose, *keys)


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
        self.rng = rand.generator(self.seed, rand.ACTIVITY, block.number, week)
        self.countme_rng = rand.generator(self.seed, rand.COUNTME, block.number, week)
        self.lines = Lines()

    # ---- the whole week ---------------------------------------------------------------------------

    def run(self):
        b = self.block
        alive = b.status == b.ALIVE
        self.alive_start = np.where(b.installed, b.install_time, self.W0)
        self.alive_end = np.minimum(b.decommission, self.W1)
        self.online = alive & (b.offline_left == 0) & (self.alive_end > self.alive_start)
        self.arch = b.arch()
        self.roles = b.roles()
        self.major = self.catalog.version_major[b.version]
        self.agent = self.catalog.agent_index(b.version, self.arch, b.os_release)
        persistent = np.flatnonzero(self.online & (b.klass != cat.CI))
        if len(persistent):
            self._persistent(persistent)
        pipelines = np.flatnonzero(self.online & (b.klass == cat.CI))
        if len(pipelines):
            self._containers(pipelines)
        columns = self.lines.done()
        columns = self._retries(columns)
        columns = self._concat(columns, self._noise(int(self.online.sum())))
        return columns

    # ---- persistent systems -----------------------------------------------------------------------

    def _persistent(self, idx):
        intervals = self._intervals(idx)
        root_runs, refresh, user_runs = self._manual_runs(idx, intervals)
        fetches = self._fetches(idx, intervals, root_runs, refresh)
        self._root_requests(idx, fetches)
        self._user_requests(idx, user_runs)
        self.block.last_fetch[idx] = self._last

    def _intervals(self, idx):
        """Switched-on intervals of the week: (start, end, boot, day key, natural start, natural end)."""
        b, p = self.block, self.params
        n = len(idx)
        column = np.arange(COLUMNS)
        sysid = b.ids[idx][:, None]
        # Servers and cloud instances: the seven UTC days.
        utc_day = self.W0 // DAY + column[None, :]
        nat_a = np.broadcast_to(utc_day * DAY, (n, COLUMNS)).copy()
        nat_b = nat_a + DAY
        nat_b[:, 7:] = nat_a[:, 7:]  # only seven days in a UTC week
        day_key = np.broadcast_to(utc_day, (n, COLUMNS)).copy()
        natural_boot = np.zeros((n, COLUMNS), bool)
        desktop = b.klass[idx] == cat.DESKTOP
        if desktop.any():
            tz = b.timezone[idx][desktop][:, None]
            local_day = (self.W0 + tz) // DAY - 1 + column[None, :]
            midnight = local_day * DAY - tz
            weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday; 0 is Monday
            on_weekday, on_weekend = p.desktop_on
            dsys = sysid[desktop]
            on = _uniform(self.seed, rand.DESKTOP_ON, dsys, local_day) < np.where(weekday < 5, on_weekday,
                                                                                  on_weekend)
            low, high = p.desktop_start
            start = midnight + ((low + _uniform(self.seed, rand.DESKTOP_START, dsys, local_day) * (high - low))
                                * 3600).astype(np.int64)
            low, high = p.desktop_hours
            hours = ((low + _uniform(self.seed, rand.DESKTOP_HOURS, dsys, local_day) * (high - low))
                     * 3600).astype(np.int64)
            nat_a[desktop] = start
            nat_b[desktop] = np.where(on, start + hours, start)
            day_key[desktop] = local_day
            natural_boot[desktop] = True
        low = np.maximum(self.alive_start[idx], self.W0)[:, None]
        high = self.alive_end[idx][:, None]
        a = np.maximum(nat_a, low)
        e = np.minimum(nat_b, high)
        valid = e > a
        fresh = (b.installed[idx] | b.was_offline[idx])[:, None]
        boot = valid & ((natural_boot & (nat_a >= low)) | (fresh & (a == low)))
        return dict(a=a, b=e, valid=valid, boot=boot, day=day_key, nat_a=nat_a, nat_b=nat_b)

    def _manual_runs(self, idx, iv):
        """dnf runs in the intervals: root runs (time or NEVER), their --refresh flags, and user runs."""
        b, p = self.block, self.params
        klass = b.klass[idx]
        chance = p.runs_slot_chance[klass][:, None, None]
        sysid = b.ids[idx][:, None, None]
        day = iv["day"][:, :, None]
        slot = np.arange(4)[None, None, :]
        present = _uniform(self.seed, rand.MANUAL_RUN, sysid, day, slot) < chance
        span = (iv["nat_b"] - iv["nat_a"])[:, :, None]
        when = iv["nat_a"][:, :, None] + (_uniform(self.seed, rand.MANUAL_TIME, sysid, day, slot) * span
                                          ).astype(np.int64)
        inside = present & (when >= iv["a"][:, :, None]) & (when < iv["b"][:, :, None]) & iv["valid"][:, :, None]
        user = _uniform(self.seed, rand.MANUAL_KIND, sysid, day, slot) < p.non_root_share[klass][:, None, None]
        refresh = _uniform(self.seed, rand.MANUAL_KIND + 50, sysid, day, slot) < p.refresh_share[klass][:, None,
                                                                                                          None]
        n = len(idx)
        root = np.where(inside & ~user, when, NEVER).reshape(n, -1)
        refresh = (refresh & ~user).reshape(n, -1)
        # cloud-init's `dnf update` on an instance's first boot
        first_boot = b.installed[idx] & b.cloud_init[idx]
        boot_run = np.where(first_boot, b.install_time[idx] + 60 + self.rng.integers(0, 240, n), NEVER)
        boot_run = np.where(boot_run < self.alive_end[idx], boot_run, NEVER)
        root = np.concatenate([root, boot_run[:, None]], axis=1)
        refresh = np.concatenate([refresh, first_boot[:, None]], axis=1)
        rows, cols = np.nonzero(inside & user)[:2]
        user_runs = (rows, when[inside & user])
        return root, refresh, user_runs

    def _fetches(self, idx, iv, root, refresh):
        """Root metadata fetches in rounds: round r holds each system's r-th fetch of the week."""
        b, p = self.block, self.params
        n = len(idx)
        expire = p.metadata_expire[self.major[idx]]
        last = b.last_fetch[idx].copy()
        current = np.full(n, self.W0 - 1, np.int64)
        timer = b.timer[idx]
        check = iv["a"] + np.where(iv["boot"], p.boot_delay, 0)
        active = np.arange(n)
        rounds = []
        while len(active):
            due = last[active] + expire[active]
            wait = self.rng.integers(0, p.check_interval, len(active))
            after_expiry = (due + wait)[:, None]
            boot = iv["boot"][active]
            # Checks run every check_interval or so while switched on: the fetch follows expiry by
            # up to one interval, or the first check of an interval that starts with a boot; an
            # interval that merely continues (a new day, a new week) starts with a check pending.
            starts = iv["a"][active]
            candidate = np.where(boot, np.where(due[:, None] <= check[active], check[active], after_expiry),
                                 np.where(after_expiry >= starts, after_expiry, starts + wait[:, None]))
            usable = (iv["valid"][active] & (candidate < iv["b"][active])
                      & (candidate > current[active][:, None]) & timer[active][:, None])
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
        self._last = last
        return rounds

    def _requests_of(self, systems, when):
        """(fetch index, role, time) of every enabled repo's request, a second or two apart."""
        roles = self.roles[systems]
        step = np.where(roles, self.rng.integers(0, 3, roles.shape), 0)
        offset = np.cumsum(step, axis=1) - step
        fetch, role = np.nonzero(roles)
        times = np.minimum(when[fetch] + offset[fetch, role], self.W1 - 1)
        return fetch, role, times

    def _root_requests(self, idx, rounds):
        for systems, when in rounds:
            g = idx[systems]
            fetch, role, times = self._requests_of(g, when)
            local = g[fetch]
            server = self.rng.integers(0, self.servers, len(g))[fetch]
            countme = self._countme(local, role, times)
            self._add_system_lines(local, role, times, countme, server, role.astype(np.int16))

    def _countme(self, local, role, times):
        """Each request through the countme model with its repo's cookie; returns countme (0 = none)."""
        b = self.block
        behaviour = b.behaviour[local]
        counts = (behaviour == cat.LEGACY) | (behaviour == cat.MACHINE_ID) | (behaviour == cat.PLUGIN)
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
        epoch = np.where(plugin, install_epoch, b.epoch[g, r])
        draws = vstep.draw_budgets(self.countme_rng, len(g))
        flag, bucket, epoch, window, budget, _ = vstep.countme_step(
            epoch, b.window[g, r], b.budget[g, r], now, system_epoch, draws)
        b.epoch[g, r], b.window[g, r], b.budget[g, r] = epoch, window, budget
        result[counts] = bucket
        return result

    def _user_requests(self, idx, user_runs):
        rows, when = user_runs
        if not len(rows):
            return
        g = idx[rows]
        fetch, role, times = self._requests_of(g, when)
        server = self.rng.integers(0, self.servers, len(g))[fetch]
        self._add_system_lines(g[fetch], role, times, 0, server, (SEQ_USER + role).astype(np.int16))

    def _add_system_lines(self, local, role, times, countme, server, seq, sysid=None, via=None):
        b, c = self.block, self.catalog
        path = c.system_paths(self.major[local], role, self.arch[local], b.style[local])
        self.lines.add(t=times, sysid=b.ids[local] if sysid is None else sysid, seq=seq, server=server,
                       addr=self._address(local, times), path=path, countme=countme,
                       status=c.path_status[path], method=cat.GET, ua=self.agent[local], local=local)

    def _address(self, local, times):
        b = self.block
        group = b.group[local]
        lease = network.lease_index(self.seed, b.number, group, times, b.lease_days[local], b.dynamic[local])
        return network.address_keys(self.seed, b.number, group, lease, b.ipv6[local])

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
        zeros = np.zeros(len(local), np.int64)
        draws = vstep.draw_budgets(self.countme_rng, len(local))
        _, bucket, _, _, _, _ = vstep.countme_step(zeros, np.full(len(local), vstep.model.DEFAULT_COOKIE.window),
                                                   np.full(len(local), -1), times + b.skew[local], zeros, draws)
        countme = np.where(counts, bucket, 0)
        server = self.rng.integers(0, self.servers, len(owner))[fetch]
        self._add_system_lines(local, role, times, countme, server, role.astype(np.int16), sysid=container[fetch])

    # ---- retries and other clients ----------------------------------------------------------------

    def _retries(self, columns):
        """Some first tries fail (logged with that status) and come again without countme."""
        p = self.params
        count = len(columns["t"])
        failed = np.flatnonzero(self.rng.random(count) < p.retry_share)
        self.retry_count = len(failed)
        if not len(failed):
            return columns
        first = p.retry_status[np.searchsorted(np.cumsum(p.retry_status_shares)[:-1],
                                               self.rng.random(len(failed)), side="right")]
        low, high = p.retry_delay
        delay = (low + self.rng.random(len(failed)) * (high - low)).astype(np.int64)
        retry = {name: columns[name][failed].copy() for name in columns}
        columns["status"][failed] = first
        retry["t"] = np.minimum(retry["t"] + delay, self.W1 - 1)
        retry["countme"][:] = 0
        retry["seq"] = retry["seq"] + SEQ_RETRY
        retry["server"] = self.rng.integers(0, self.servers, len(failed)).astype(np.int16)
        system = retry["sysid"] < NOISE_ID
        retry["addr"][system] = self._address(retry["local"][system], retry["t"][system])
        return self._concat(columns, retry)

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
        addr = network.address_keys(self.seed, b.number, pool, 0, False)
        return dict(t=t, sysid=NOISE_ID | (b.number << 30) | np.arange(count), seq=np.zeros(count, np.int16),
                    server=self.rng.integers(0, self.servers, count).astype(np.int16), addr=addr, path=path,
                    countme=np.zeros(count, np.int8), status=c.path_status[path], method=method, ua=agent,
                    local=np.full(count, -1, np.int32))

    @staticmethod
    def _concat(columns, more):
        if more is None:
            return columns
        return {name: np.concatenate([columns[name], more[name].astype(columns[name].dtype)]) for name in columns}


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
    status_ok = np.isin(columns["status"], cat.COUNTED_STATUSES)
    return status_ok & (catalog.truth_tag[columns["path"]] >= 0)


def make_unique(columns, catalog, W0, W1):
    """Move countme lines that would be identical items in mirrors-countme by a second.

    mirrors-countme's parser (SQLite mode) stores identical items (second,
    address, agent fields, age, repo) once; real traffic rarely has them, and
    moving one of two by a second keeps every hit countable by either mode.
    Returns the number of lines moved.
    """
    moved = 0
    for _ in range(100):
        truth = np.flatnonzero(_counted(columns, catalog) & (columns["countme"] > 0))
        t = columns["t"][truth]
        keys = [t, columns["addr"][truth], catalog.agent_fields_id[columns["ua"][truth]],
                columns["countme"][truth], catalog.truth_tag[columns["path"][truth]]]
        order = np.lexsort(keys[::-1])
        rank = _runs_of_equal([key[order] for key in keys])
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
    stats = WeekStats(c)
    stats.lines = len(columns["t"])
    sysid, local = columns["sysid"], columns["local"]
    system = sysid < NOISE_ID
    stats.requests = int(system.sum())
    stats.noise = stats.lines - stats.requests
    stats.retries = sim.retry_count
    stats.flags_sent = int((columns["countme"] > 0).sum())

    persistent = distinct(local[sysid < CONTAINER_ID])
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
    cells = distinct(key) % (groups[0] * groups[1])
    stats.unique += np.bincount(cells, minlength=stats.unique.size).reshape(groups)
    stats.addresses = int(address.max() + 1) if len(address) else 0
    stats.libdnf_addresses = len(distinct(address[columns["ua"] < c.system_agent_count]))
    return stats


def index_addresses(columns):
    """The block-week's distinct addresses; adds each line's index into them as ``addr_index``."""
    addresses, columns["addr_index"] = distinct_inverse(columns["addr"])
    return addresses


LINE_DTYPE = np.dtype([("t", "<i8"), ("addr", "<i4"), ("skey", "<i8")])


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
    """Lines sorted by (day, server, time, who, sequence) and the offsets of each (day, server).

    ``who`` orders the lines of one second: systems by id, then containers by
    id, then other clients; ``addr`` is the line's index into the block-week's
    address table (see :func:`index_addresses`).
    """
    sysid = columns["sysid"]
    container = (sysid >= CONTAINER_ID) & (sysid < NOISE_ID)
    who = columns["local"].astype(np.int64)
    if container.any():
        who[container] = network.BLOCK + distinct_inverse(sysid[container])[1]
    noise = sysid >= NOISE_ID
    who[noise] = (1 << 26) + (sysid[noise] & ((1 << 26) - 1))
    day = (columns["t"] - sim.W0) // DAY
    key = ((day * 64 + columns["server"]) << 52) | ((columns["t"] - sim.W0 - day * DAY) << 35) | (who << 8) \
        | columns["seq"]
    order = np.argsort(key, kind="stable")
    lines = np.empty(len(order), LINE_DTYPE)
    lines["t"] = columns["t"][order]
    lines["addr"] = columns["addr_index"][order]
    lines["skey"] = suffix_keys(columns, sim.catalog)[order]
    counts = np.bincount(day * sim.servers + columns["server"], minlength=7 * sim.servers)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return lines, offsets
