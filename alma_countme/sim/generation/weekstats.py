"""What a block's week of lines is worth: the truth a correct pipeline finds in them.

:func:`make_unique` first moves the few lines that mirrors-countme would store
as one item; :func:`summarise` then counts the week's lines into a
:class:`WeekStats`, which adds up over blocks and becomes truth.csv and the
summary (:mod:`truth`).
"""

import numpy as np

from alma_countme.sim.common.arrays import distinct, distinct_first
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import DAY, NEVER
from alma_countme.sim.generation import network, vstep
from alma_countme.sim.generation.linerecords import CONTAINER_ID, NOISE_ID


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
    """The WeekStats of a block's week: ``sim`` its week.WeekSimulation after the run, ``columns`` its
    lines (after :func:`linerecords.index_addresses`)."""
    c, b = sim.catalog, sim.systems
    countries = sim.params.countries
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


def _by_country(stats, systems, persistent, age, owners, local, countme, truth, baseos):
    """Per country and bucket: true active systems, countme hits (all repos, and the reference repo)."""
    width = vstep.BUCKET_COUNT + 1
    size = stats.active_by_country.size
    cells = np.concatenate([systems.country[persistent].astype(np.int64) * width + age,
                            systems.country[owners].astype(np.int64) * width + 1])  # containers: first week
    shape = stats.active_by_country.shape
    stats.active_by_country += np.bincount(cells, minlength=size).reshape(shape)
    country = systems.country[local].astype(np.int64)
    stats.hits_by_country += np.bincount(country[truth] * width + countme[truth],
                                         minlength=size).reshape(shape)
    stats.estimate_by_country += np.bincount(country[baseos] * width + countme[baseos],
                                             minlength=size).reshape(shape)
