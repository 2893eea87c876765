"""Who the systems are: a block of systems, with its state across weeks.

Ids are grouped in blocks of :data:`BLOCK` (the install plan, :mod:`plan`, says
which ids each week installs); everything random about a block is drawn from
generators keyed by (seed, purpose, block[, week]), so a block's history does
not depend on how blocks are spread over processes.

A block hands its week's simulation a :class:`WeekSystems`: the arrays that
week reads and steps, by name, so the simulation needs nothing else of it.
"""

import numpy as np

from alma_countme import model
from alma_countme.sim.common import rand
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.specs import schedule_at
from alma_countme.sim.config.units import DAY, ROLE_COUNT, WEEK
from alma_countme.sim.generation import vstep
from alma_countme.sim.generation.network import BLOCK


def _pick(u, shares):
    """Index into ``shares`` (summing to 1) for uniforms ``u``."""
    edges = np.cumsum(shares)
    edges[-1] = np.inf
    return np.searchsorted(edges, u, side="right").astype(np.int8)


class Block:
    """BLOCK system ids: fixed attributes and the state that carries from week to week."""

    # Arrays saved between weeks (all of length BLOCK, or BLOCK x roles).
    STATE = ("status", "install_time", "decommission", "mid_mtime", "version", "offline_left", "was_offline",
             "last_fetch", "epoch", "window", "budget", "behaviour")
    ALIVE, UNBORN, GONE = 1, 0, 2

    def __init__(self, number, seed, params, catalog, plan):
        self.number = number
        self.seed = seed
        self.params = params
        self.catalog = catalog
        self.plan = plan
        self.ids = number * BLOCK + np.arange(BLOCK, dtype=np.int64)
        self._draw_attributes()

    # ---- attributes: drawn once per block, whatever the week -------------------------------------

    def _draw_attributes(self):
        p = self.params
        rng = rand.generator(self.seed, rand.ATTRIBUTES, self.number)
        n = BLOCK

        def u():
            return rng.random(n)

        initial = self.ids < self.plan.initial
        planned = self.plan.planned_classes(self.number)
        self.klass = np.where(initial, _pick(u(), p.class_share), planned).astype(np.int8)
        self.u_age_range, self.u_age = u(), u()
        self.u_version = u()
        self.base_arch = _pick(u(), p.arch_shares)
        self.u_v2 = u()
        self.os_release = _pick(u(), p.os_release_shares)
        self.u_behaviour = u()
        self.wants_role = rng.random((n, ROLE_COUNT)) < p.role_shares
        k = np.clip(self.klass, 0, None)
        self.timer = (u() < p.timer[k]) & (self.klass != cat.CI)
        self.mid_missing = u() < p.machine_id_missing[k]
        self.ipv6 = u() < p.ipv6[k]
        nat = (u() < p.nat[k]) & ~self.ipv6
        nat_group = p.nat_group_base[k] + (u() * p.nat_groups[k]).astype(np.int64)
        self.group = np.where(nat, nat_group, np.arange(n, dtype=np.int64))
        own_dynamic = u() < p.dynamic_ip[k]
        group_dynamic = rand.uniform(self.seed, rand.NETWORK, self.number, self.group) < p.dynamic_ip[k]
        self.dynamic = np.where(nat, group_dynamic, own_dynamic)
        # A system's country is its address group's (one for all behind a NAT).
        self.country = (p.countries.of_groups(self.number, self.group)[0] if p.countries is not None
                        else np.full(n, -1, np.int16))
        # A dynamic address changes every lease period, at a phase of its own (shared behind a NAT).
        self.lease_period = np.maximum((p.lease_days[k] * DAY).astype(np.int64), 1)
        self.lease_phase = (rand.uniform(self.seed, rand.ADDRESS, self.number, self.group)
                            * self.lease_period).astype(np.int64)
        zone = p.timezone_offsets[_pick(u(), p.timezone_shares)]
        self.timezone = np.where(self.klass == cat.DESKTOP, zone, 0)
        skew_share, skew_minutes, far_share, far_days = p.skew
        kind, value = u(), u()
        self.skew = np.where(
            kind < far_share, (far_days[0] + value * (far_days[1] - far_days[0])) * DAY,
            np.where(kind < far_share + skew_share,
                     (skew_minutes[0] + value * (skew_minutes[1] - skew_minutes[0])) * 60, 0)
        ).astype(np.int64)
        metalink = u() < p.metalink_share
        self.style = np.where(metalink, cat.STYLE_METALINK, cat.STYLE_MIRRORLIST).astype(np.int8)
        self.image_cookie = (u() < p.image_cookie) & (self.klass == cat.CLOUD)
        self.image_age = ((p.image_age[0] + u() * (p.image_age[1] - p.image_age[0])) * WEEK).astype(np.int64)
        self.image_draw = rng.integers(1, model.BUDGET + 1, n)
        self.cloud_init = (u() < p.cloud_init) & (self.klass == cat.CLOUD)
        self.u_fetch_phase = u()
        self.u_first_count = u()

    # ---- state ------------------------------------------------------------------------------------

    def start(self, week0):
        """State before the run: the starting population installed, with the cookies of a steady state.

        Returns the warm-up week that finishes it, or None when no system needs
        one: (the :class:`WeekSystems` of week -1, which of them to step), for
        the caller to run through ``week.WeekSimulation.warm_up`` (see
        :meth:`_warm_up`; :func:`blockrun.start` does both).
        """
        p, c = self.params, self.catalog
        n = BLOCK
        W0 = week0
        self.status = np.where(self.ids < self.plan.initial, self.ALIVE, self.UNBORN).astype(np.int8)
        age_weeks = self._initial_age()
        self.install_time = (W0 - (age_weeks * WEEK)).astype(np.int64)
        self.decommission = np.full(n, np.iinfo(np.int64).max, np.int64)
        self.mid_mtime = np.where(self.mid_missing, 0, self.install_time)
        self.version = _pick(self.u_version, p.version_shares).astype(np.int16)
        self.offline_left = np.zeros(n, np.int16)
        self.was_offline = np.zeros(n, bool)
        major_now = c.version_major[self.version]
        expire = p.metadata_expire[major_now]
        self.last_fetch = W0 - (self.u_fetch_phase * expire).astype(np.int64)
        self.behaviour = self._behaviour_of(major_now, self.u_behaviour)
        # Cookies of a system that was counted last week: its epoch per the legacy rule is the
        # first week it was counted since countme came to its major, or the week its image was
        # built when the build's request was counted (a first budget of 1, as for new instances).
        since = p.countme_since[major_now]
        first = vstep.monday_epoch(np.maximum(self.install_time, since))
        # A system installed late in a week may not spend its budget before the week ends: then
        # libdnf first counts it, and takes its epoch, the week after.
        late = (self.install_time > since) & (self.u_first_count >= self._first_week_count_chance(expire))
        first = np.where(late, first + WEEK, first)
        counted_image = self.image_cookie & (self.image_draw == 1)
        built = vstep.monday_epoch(np.maximum(self.install_time - self.image_age, since))
        epoch = np.where(counted_image, built, first)
        self.epoch = np.repeat(epoch[:, None], ROLE_COUNT, axis=1)
        self.window = np.full((n, ROLE_COUNT), W0 - WEEK, np.int64)
        self.budget = np.full((n, ROLE_COUNT), -1, np.int16)
        # Repo files that only carry countme=1 from the run on: libdnf never wrote a cookie.
        never = since >= W0
        self.epoch[never] = model.DEFAULT_COOKIE.epoch
        self.window[never] = model.DEFAULT_COOKIE.window
        self.budget[never] = model.DEFAULT_COOKIE.budget
        return self._warm_up(W0)

    def _warm_up(self, W0):
        """Set up the week before the start for systems whose budget may carry over between weeks.

        Systems that fetch every day (the timer, always on) spend any budget
        within a week, so "counted last week, no budget left" is their steady
        state. Desktops and systems without the timer may not: they go through
        the week before the run, with the model, from "counted the week before".
        Returns that week as :meth:`start` does.
        """
        irregular = (self.status == self.ALIVE) & ((self.klass == cat.DESKTOP) | ~self.timer)
        if not irregular.any():
            self.installed = np.zeros(BLOCK, bool)
            return None
        before = W0 - WEEK
        self.installed = irregular & (self.install_time >= before)
        self.window[irregular] = before - WEEK
        self.last_fetch[irregular] -= WEEK
        fresh = self.installed
        self.epoch[fresh] = model.DEFAULT_COOKIE.epoch
        self.window[fresh] = model.DEFAULT_COOKIE.window
        self.budget[fresh] = model.DEFAULT_COOKIE.budget
        self.last_fetch[fresh] = 0
        self.week = -1
        systems = self.week_systems(-1)
        # The warm-up week keeps its installs in its record; the block itself starts the run with none.
        self.installed = np.zeros(BLOCK, bool)
        return systems, irregular

    def _first_week_count_chance(self, expire):
        """Chance that a system spent its first budget in the week it was installed.

        An estimate from the scenario's rates (the model itself then runs every
        week of the simulation): the fetches left in the install week against a
        budget drawn uniformly from 1..BUDGET.
        """
        p = self.params
        k = np.clip(self.klass, 0, None)
        days_left = (vstep.monday_epoch(self.install_time) + WEEK - self.install_time) / DAY
        on_share = p.on_days[k] / 7.0
        timer_fetches = np.where(self.timer, DAY / (expire + p.check_interval / 2.0), 0.0)
        root_runs = p.runs_per_week[k] * (1 - p.non_root_share[k]) * p.refresh_share[k] / 7.0
        fetches = (self.timer | self.cloud_init) + days_left * on_share * (timer_fetches + root_runs)
        return np.clip(np.floor(fetches) / model.BUDGET, 0.0, 1.0)

    def _initial_age(self):
        """Install age in weeks (float) of the starting systems."""
        p = self.params
        which = _pick(self.u_age_range, p.age_shares)
        low, high = p.age_ranges[which, 0], p.age_ranges[which, 1]
        age = low + self.u_age * (high - low)
        lifetime = p.lifetime[np.clip(self.klass, 0, None)]
        short_lived = (self.klass == cat.CLOUD) | (self.klass == cat.CI)
        exponential = -np.log1p(-self.u_age) * lifetime
        return np.where(short_lived, exponential, age)

    def _behaviour_of(self, major, u):
        """Behaviour index from each system's major version's mix, for uniforms ``u``."""
        edges = np.cumsum(self.params.behaviour_shares[major], axis=1)
        edges[:, -1] = np.inf
        return (u[:, None] >= edges).sum(axis=1).astype(np.int8)

    def _arch(self):
        """Effective arch index: the x86_64_v2 build on AlmaLinux 10 for some x86_64 systems."""
        major = self.catalog.version_major[self.version]
        v2 = ((self.base_arch == cat.X86_64) & (major == cat.MAJORS.index("10"))
              & (self.u_v2 < self.params.v2_share))
        return np.where(v2, cat.X86_64_V2, self.base_arch).astype(np.int8)

    def _roles(self):
        """BLOCK x roles: the repos each system requests (wanted, and existing for its major and arch)."""
        major = self.catalog.version_major[self.version]
        roles = np.arange(ROLE_COUNT)[None, :]
        return self.wants_role & self.catalog.available[major[:, None], roles, self._arch()[:, None]]

    def week_systems(self, week):
        """The :class:`WeekSystems` of ``week``: after :meth:`begin_week` (or :meth:`start`, for week -1)."""
        return WeekSystems(self, week)

    def save(self, path):
        # The arrays back to back as .npy records in STATE's order: np.savez's zip, with a CRC of
        # every byte, took twice the time, and the file lives only until the block's next week.
        with open(path, "wb") as handle:
            for name in self.STATE:
                np.lib.format.write_array(handle, np.asanyarray(getattr(self, name)), allow_pickle=False)

    def load(self, path):
        with open(path, "rb") as handle:
            for name in self.STATE:
                setattr(self, name, np.lib.format.read_array(handle, allow_pickle=False))

    # ---- the week's lifecycle ---------------------------------------------------------------------

    def begin_week(self, week):
        """Installs, decommissions, offline spells and upgrades at the start of ``week``."""
        p, c = self.params, self.catalog
        self.week = week
        W0 = self.plan.week_start(week)
        rng = rand.generator(self.seed, rand.LIFECYCLE, self.number, week)
        n = BLOCK
        u_decom, u_decom_time, u_off, u_off_len, u_minor, u_major = (rng.random(n) for _ in range(6))
        gone = self.status == self.GONE
        self.status[(self.decommission < W0) & ~gone] = self.GONE

        alive_before = self.status == self.ALIVE
        k = np.clip(self.klass, 0, None)
        leaving = alive_before & (u_decom < self._leaving_chance(alive_before, k))
        self.decommission = np.where(leaving, W0 + (u_decom_time * WEEK).astype(np.int64), self.decommission)

        self.was_offline = self.offline_left > 0
        self.offline_left = np.maximum(self.offline_left - 1, 0).astype(np.int16)
        going = alive_before & (self.offline_left == 0) & ~self.was_offline & (u_off < p.offline_start)
        spell = 1 + np.floor(np.log1p(-u_off_len) / np.log1p(-1.0 / p.offline_mean)).astype(np.int64) \
            if p.offline_mean > 1 else np.ones(n, np.int64)
        self.offline_left = np.where(going, spell, self.offline_left).astype(np.int16)

        newest = c.newest(week)
        major = c.version_major[self.version]
        behind = alive_before & (self.version != newest[major])
        minor = behind & (u_minor < p.minor_upgrade)
        self.version = np.where(minor, newest[major], self.version).astype(np.int16)
        next_major = np.minimum(major + 1, len(cat.MAJORS) - 1)
        can = alive_before & (major < len(cat.MAJORS) - 1) & (newest[next_major] >= 0)
        upgrade = can & (u_major < p.major_upgrade[major])
        if upgrade.any():
            self.version = np.where(upgrade, newest[next_major], self.version).astype(np.int16)
            # A new mirrorlist URL: new cookie directories with libdnf's defaults, a cold cache,
            # and the new major's libdnf (its epoch rule).
            self.epoch[upgrade] = model.DEFAULT_COOKIE.epoch
            self.window[upgrade] = model.DEFAULT_COOKIE.window
            self.budget[upgrade] = model.DEFAULT_COOKIE.budget
            self.last_fetch[upgrade] = 0
            native = self._behaviour_of(c.version_major[self.version], self.u_behaviour)
            keeps = (self.behaviour != cat.LEGACY) & (self.behaviour != cat.MACHINE_ID)
            self.behaviour = np.where(upgrade & ~keeps, native, self.behaviour).astype(np.int8)

        local, classes, times = self.plan.installs_in(self.number, week)
        self.installed = np.zeros(n, bool)
        if len(local):
            self._install(local, times)
        self._roll_out_plugin(week)

    def _leaving_chance(self, alive, k):
        """Each system's chance to go this week: 1/lifetime_weeks, or, in a class whose installs a growth
        below -1/lifetime stops, what takes -growth of the class's starting systems a week."""
        p = self.params
        chance = 1.0 / p.lifetime[k]
        shrink = -p.scenario["population"]["growth_per_week"]
        shrinking = np.flatnonzero(shrink > 1.0 / p.lifetime)
        if not len(shrinking):
            return chance
        initial = self.ids < self.plan.initial
        for klass in shrinking:
            members = alive & (self.klass == klass)
            left = np.count_nonzero(members)
            if left:
                started = np.count_nonzero(initial & (self.klass == klass))
                chance = np.where(members, min(1.0, shrink * started / left), chance)
        return chance

    def _roll_out_plugin(self, week):
        """Legacy systems get the plugin as the scenario's rollout reaches them (and keep it)."""
        share = schedule_at(self.params.plugin_schedule, week)
        if share <= 0.0:
            return
        # A pure function of the system id: the same systems get it whichever week asks.
        reached = rand.uniform(self.seed, rand.ROLLOUT, self.ids) < share
        self.behaviour[reached & (self.behaviour == cat.LEGACY)] = cat.PLUGIN

    def _install(self, local, times):
        p, c = self.params, self.catalog
        self.installed[local] = True
        self.status[local] = self.ALIVE
        self.install_time[local] = times
        self.mid_mtime[local] = np.where(self.mid_missing[local], 0, times)
        major = _pick(self.u_version[local], p.major_shares)
        newest = c.newest(self.week)
        # The newest release of the drawn major; a major with none yet falls back to any newest.
        chosen = newest[major]
        fallback = newest[newest >= 0][-1]
        self.version[local] = np.where(chosen >= 0, chosen, fallback)
        major = c.version_major[self.version[local]]
        self.behaviour[local] = self._behaviour_of(major, self.u_behaviour[local])
        self.last_fetch[local] = 0
        self.epoch[local] = model.DEFAULT_COOKIE.epoch
        self.window[local] = model.DEFAULT_COOKIE.window
        self.budget[local] = model.DEFAULT_COOKIE.budget
        # An image built with dnf leaves the cookie of its build's request in the instance.
        # (Only when the image's repo files already carried countme=1.)
        built = self.install_time[local] - self.image_age[local]
        image = local[self.image_cookie[local] & (built >= p.countme_since[major])]
        if len(image):
            built = self.install_time[image] - self.image_age[image]
            zeros = np.zeros(len(image), np.int64)
            _, _, epoch, window, budget, _ = vstep.countme_step(
                zeros, np.full(len(image), model.DEFAULT_COOKIE.window), np.full(len(image), -1),
                built, zeros, self.image_draw[image])
            self.epoch[image] = epoch[:, None]
            self.window[image] = window[:, None]
            self.budget[image] = budget[:, None]


class WeekSystems:
    """What one week's simulation reads of a block's systems, and the state it steps.

    Every array has a row per system of the block (BLOCK x roles for the
    cookies) and is the block's own: the week steps the cookies and the fetch
    times in place. The rest holds for the whole week (it begins before the
    record is made, and nothing changes it until the next begins).
    """

    def __init__(self, block, week):
        self.number = block.number  # the block's number
        self.seed = block.seed
        self.params = block.params  # the scenario's numbers (params.Params)
        self.catalog = block.catalog
        self.week = week  # -1: the warm-up week before the run
        self.week_start = block.plan.week_start(week)
        # Fixed attributes (see Block._draw_attributes).
        self.ids = block.ids
        self.klass = block.klass
        self.os_release = block.os_release
        self.timer = block.timer  # runs dnf-makecache.timer
        self.timezone = block.timezone  # seconds east of UTC (desktops; 0 for the rest)
        self.cloud_init = block.cloud_init  # cloud-init runs `dnf update` on the first boot
        self.skew = block.skew  # seconds the system's clock is ahead
        self.style = block.style  # mirrorlist or metalink URLs (catalog.STYLE_*)
        self.group = block.group  # address group: the system's own, or a NAT's
        self.ipv6 = block.ipv6
        self.dynamic = block.dynamic  # the address changes every lease period
        self.lease_period = block.lease_period
        self.lease_phase = block.lease_phase
        self.country = block.country  # index into countries.Countries.codes (-1: no countries)
        # This week.
        self.alive = block.status == block.ALIVE
        self.installed = block.installed  # installed this week
        self.install_time = block.install_time
        self.decommission = block.decommission  # when it goes (int64 max: not planned)
        self.offline_left = block.offline_left  # weeks of an offline spell still to come (0: online)
        self.was_offline = block.was_offline  # comes back from an offline spell this week
        self.version = block.version
        self.arch = block._arch()  # the effective arch (x86_64_v2 for some on 10)
        self.roles = block._roles()  # BLOCK x roles: the repos it requests
        self.behaviour = block.behaviour
        self.mid_mtime = block.mid_mtime  # machine-id's mtime (0: none)
        # State the week steps in place.
        self.last_fetch = block.last_fetch  # time of the last metadata fetch
        self.epoch = block.epoch  # the countme cookie of each repo: epoch, window, budget
        self.window = block.window
        self.budget = block.budget
