"""Running a simulation: blocks of systems week by week, then the week's log files, then the truth.

Week by week, two kinds of task run on a pool of processes:

1. every block of systems simulates the week (:func:`blockrun.block_week`;
   state kept in a temporary directory between weeks), its truth is counted
   (:mod:`weekstats`), and it leaves its lines, sorted, in that directory
   (:mod:`linerecords`);
2. every log file of the week (one per UTC day and service node) that belongs
   to this shard gathers its lines from all blocks and is written.

A week's files need all its blocks, but the next week's blocks need only their
own state: the files of week w are written while the blocks of week w+1 are
simulated, so the disk is kept busy while the processors simulate.

Everything a file holds is fixed by the scenario and the seed, so shards
(``--shard K/N`` takes every N-th file) and jobs only decide who writes what.
The first shard also writes truth.csv, summary.json, summary.txt and
scenario.toml.
"""

import contextlib
import multiprocessing
import os
import re
import shutil
import socket
import sys
import time

import numpy as np

from alma_countme.sim.common.arrays import distinct_inverse
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.common.heap import reuse_freed_memory
from alma_countme.sim.common.textfile import write_text
from alma_countme.sim.config.dump import to_toml
from alma_countme.sim.config.units import DAY
from alma_countme.sim.generation import blockrun, logformat, network, truth
from alma_countme.sim.generation.linerecords import LINE_DTYPE, index_addresses, output
from alma_countme.sim.generation.weekstats import WeekStats, make_unique, summarise

_CONTEXT = None  # the Run of this process (workers inherit it at fork)


class Run:
    """One ``countme-sim generate``: its settings and the objects every task needs."""

    def __init__(self, scenario, out, fmt=None, seed=None, shard=(1, 1), jobs=1,
                 compression=None, progress=False, logs=True):
        self.scenario = scenario
        self.logs = logs  # False: only the truth and the summaries (e.g. for `countme-sim rollout`)
        if fmt is not None:
            scenario["output"]["format"] = fmt
        if seed is not None:
            scenario["run"]["seed"] = seed
        self.format = scenario["output"]["format"]
        self.servers = scenario["output"]["servers"]
        self.seed = scenario["run"]["seed"]
        self.weeks = scenario["run"]["weeks"]
        self.out = out
        self.shard = shard
        self.jobs = max(1, jobs)
        self.compression = compression  # a compression.Compression, or None for plain logs
        self.progress = progress
        self.setup = blockrun.Setup(scenario, self.seed, self.format)
        self.catalog = self.setup.catalog
        self.params = self.setup.params
        self.plan = self.setup.plan
        self.countries = self.setup.countries
        self.country_count = len(self.countries.codes) if self.countries is not None else 0
        self.tmp = os.path.join(out, ".countme-sim-tmp-%s-%d" % (socket.gethostname(), os.getpid()))
        self.phase_seconds = {"simulate": 0.0, "write": 0.0}  # time spent in each kind of task, all jobs
        self.first_write_at = None  # time.time() when the first log file began (bench splits the run there)
        self.started_at = self.finished_at = None  # time.time() at the start and end of generate()
        self.block_tables = {}  # (week, block) -> what every log file of that week reads (_block_tables)

    # ---- file names -------------------------------------------------------------------------------

    def log_path(self, week, day, server):
        start = self.plan.week_start(week) + day * DAY
        name = "access-%s.log%s" % (time.strftime("%Y-%m-%d", time.gmtime(start)),
                                    "" if self.compression is None else self.compression.suffix)
        return os.path.join(self.out, "logs", "mirror%d" % (server + 1), name)

    def log_paths(self):
        """Every log file of the whole run, all shards' (what shards of one run write side by side)."""
        if not self.logs:
            return set()
        return {self.log_path(week, day, server) for week in range(self.weeks) for day in range(7)
                for server in range(self.servers)}

    def mine(self, week, day, server):
        """Whether this shard writes the file of (week, day, server)."""
        if not self.logs:
            return False
        index = (week * 7 + day) * self.servers + server
        return index % self.shard[1] == self.shard[0] - 1

    def _block_files(self, week, block):
        base = os.path.join(self.tmp, "w%d" % week, "b%d" % block)
        return base + ".lines.npy", base + ".offsets.npy", base + ".addresses.npy", base + ".suffixes.npy"

    def _state_file(self, block):
        return os.path.join(self.tmp, "state", "b%d.state" % block)


def _run_task(task):
    """A pool task: ("simulate", week, block) or ("write", week, day, server, blocks).
    Returns (task, result, seconds, when it started by time.time())."""
    began = time.time()
    started = time.perf_counter()
    result = _simulate_block(task[1:]) if task[0] == "simulate" else _write_file(task[1:])
    return task, result, time.perf_counter() - started, began


def _simulate_block(task):
    """Phase 1 task: one block's week. Returns (block, WeekStats)."""
    run = _CONTEXT
    week, number = task
    state = run._state_file(number)
    block, sim, columns = blockrun.block_week(run.setup, number, week, run.servers, state=state)
    nudged = make_unique(columns, run.catalog, sim.W0, sim.W1)
    addresses = index_addresses(columns)
    stats = summarise(sim, columns)
    stats.nudged = nudged
    lines, offsets, suffix_keys = output(sim, columns)
    lines_path, offsets_path, addresses_path, suffixes_path = run._block_files(week, number)
    np.save(lines_path, lines)
    np.save(offsets_path, offsets)
    if run.countries is not None:
        table = run.countries.address_table(number, addresses)
    else:
        table = network.address_table(network.address_keys(run.seed, number, addresses))
    np.save(addresses_path, logformat.address_lines(table))
    np.save(suffixes_path, suffix_keys)
    if week < run.weeks - 1:
        block.save(state)
    return number, stats


def _write_file(task):
    """Phase 2 task: one log file from every block's lines. Returns (path, lines)."""
    run = _CONTEXT
    week, day, server, blocks = task
    slot = day * run.servers + server
    times, address_index, suffix_index, addresses, suffix_keys = [], [], [], [], []
    address_base = suffix_base = 0
    for number in range(blocks):
        offsets, block_addresses, block_suffix_keys = _block_tables(run, week, number)
        if offsets[slot + 1] == offsets[slot]:
            continue
        part = np.load(run._block_files(week, number)[0], mmap_mode="r")[offsets[slot]:offsets[slot + 1]]
        times.append(part["t"])
        # Indices into the concatenation of the blocks' address tables and suffix keys.
        address_index.append(part["addr"] + address_base)
        suffix_index.append(part["suffix"] + suffix_base)
        addresses.append(block_addresses)
        suffix_keys.append(block_suffix_keys)
        address_base += len(block_addresses)
        suffix_base += len(block_suffix_keys)
    lines = np.zeros(0, LINE_DTYPE)
    if times:
        # Each block's part is in order already; a stable sort by time keeps blocks in number order.
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")
        # Blocks share most suffixes: one small table for the file keeps the gathers in cache.
        keys, inverse = distinct_inverse(np.concatenate(suffix_keys))
        lines = np.empty(len(t), LINE_DTYPE)
        lines["t"] = t[order]
        lines["addr"] = np.concatenate(address_index)[order]
        lines["suffix"] = inverse[np.concatenate(suffix_index)[order]]
    else:
        keys = np.zeros(0, np.int64)
    path = run.log_path(week, day, server)
    day_start = day * DAY  # lines count seconds from the week's start
    chunks = logformat.render(lines, addresses, logformat.suffix_bytes(keys, run.catalog),
                              logformat.time_table(run.plan.week_start(week) + day_start), day_start,
                              logformat.line_end(run.catalog, server))
    logformat.write_file(path, chunks, run.compression)
    return path, len(lines)


def _block_tables(run, week, number):
    """Block ``number``'s offsets, addresses (a logformat.AddressText) and suffix keys for ``week``.

    A process writes several files of a week, each from every block: it reads these once per
    block-week and keeps them until it writes a file of another week (about 0.25 MiB per block).
    """
    tables = run.block_tables
    if (week, number) not in tables:
        if tables and next(iter(tables))[0] != week:  # they are all of one week
            tables.clear()
        _, offsets_path, addresses_path, suffixes_path = run._block_files(week, number)
        tables[week, number] = (np.load(offsets_path), logformat.AddressText(np.load(addresses_path)),
                                np.load(suffixes_path))
    return tables[week, number]


@contextlib.contextmanager
def _pool(jobs):
    if jobs == 1:
        yield None
        return
    pool = multiprocessing.get_context("fork").Pool(jobs)
    try:
        yield pool
        pool.close()
        pool.join()
    finally:
        pool.terminate()


def _map(pool, function, tasks):
    if pool is None:
        return map(function, tasks)
    return pool.imap_unordered(function, tasks)


def _progress_bar(run, total):
    if not run.progress:
        return None
    from tqdm import tqdm
    # The bar counts steps: a block of systems simulated for a week, or one day's log file
    # written; the description says which of the two a week is at.
    return tqdm(total=total, unit="step", desc="countme-sim", file=sys.stderr, leave=False)


def _make_dirs(run):
    logs = [os.path.join(run.out, "logs")] + [
        os.path.join(run.out, "logs", "mirror%d" % (s + 1)) for s in range(run.servers)] if run.logs else []
    # The logs' folders first: when one cannot be made, no temporary folder is left behind.
    for directory in [run.out] + logs + [run.tmp, os.path.join(run.tmp, "state")]:
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            raise SimError("cannot create directory %s: %s" % (directory, error.strerror or error)) from None


# The names this simulator gives its logs, under DIR/logs: the files an earlier run may have left.
_LOG_NAME = re.compile(r"mirror[1-9][0-9]*/access-[0-9]{4}-[0-9]{2}-[0-9]{2}\.log(\.gz|\.zst)?\Z")


def _refuse_stale_logs(run):
    """SimError when DIR/logs holds access logs of an earlier run that this one would not overwrite.

    verify and replay would read them along with this run's logs (weeks it did not simulate, or a
    day twice as .log and .log.gz). The files are the user's: they are named, not removed.
    """
    logs = os.path.join(run.out, "logs")
    stale = sorted(_existing_logs(logs) - run.log_paths())
    if stale:
        raise SimError("%s holds %d access log%s of an earlier run that this run would not write, e.g. %s; "
                       "remove them or choose another --out directory"
                       % (logs, len(stale), "" if len(stale) == 1 else "s", stale[0]))


def _refuse_directories(run):
    """SimError, before the long work, when a file the first shard writes in DIR is a directory."""
    names = ["truth.csv", "summary.json", "summary.txt", "scenario.toml"] + (
        ["truth-countries.csv"] if run.countries is not None else [])
    for name in names if run.shard[0] == 1 else ():
        path = os.path.join(run.out, name)
        if os.path.isdir(path):
            raise SimError("cannot write %s: it is a directory; remove it or choose another --out directory "
                           "(nothing was written)" % path)


def _existing_logs(logs):
    """The paths of the files under ``logs`` (DIR/logs) named as this simulator names its logs."""
    found = set()
    try:
        for directory in (os.listdir(logs) if os.path.isdir(logs) else ()):
            folder = os.path.join(logs, directory)
            if os.path.isdir(folder):
                found.update(os.path.join(folder, name) for name in os.listdir(folder)
                             if _LOG_NAME.match(directory + "/" + name))
    except OSError as error:
        raise SimError("cannot list %s: %s" % (logs, error.strerror or error)) from None
    return found


def generate(run):
    """Simulate and write everything; returns (list of per-week WeekStats, lines written, files written)."""
    global _CONTEXT
    _refuse_stale_logs(run)
    _refuse_directories(run)
    _make_dirs(run)
    _CONTEXT = run
    reuse_freed_memory()  # before the workers fork: they inherit it
    run.started_at = started = time.time()
    weekly = [None] * run.weeks
    by_block = {week: {} for week in range(run.weeks)}
    written = {"lines": 0, "files": 0}
    total = sum(run.plan.blocks_by(w) for w in range(run.weeks)) + sum(
        1 for w in range(run.weeks) for d in range(7) for s in range(run.servers) if run.mine(w, d, s))
    bar = _progress_bar(run, total)
    try:
        with _pool(run.jobs) as pool:
            # Step k writes the files of week k-1 (first in the queue: the disk starts at once)
            # and simulates week k; every task of a step depends only on earlier steps.
            for step in range(run.weeks + 1):
                tasks = []
                if step > 0:
                    week = step - 1
                    tasks += [("write", week, d, s, run.plan.blocks_by(week)) for d in range(7)
                              for s in range(run.servers) if run.mine(week, d, s)]
                if step < run.weeks:
                    os.makedirs(os.path.join(run.tmp, "w%d" % step), exist_ok=True)
                    tasks += [("simulate", step, b) for b in range(run.plan.blocks_by(step))]
                if bar is not None:
                    bar.set_description(_step_description(step, run.weeks))
                for task, result, seconds, began in _map(pool, _run_task, tasks):
                    run.phase_seconds[task[0]] += seconds
                    if task[0] == "simulate":
                        by_block[task[1]][result[0]] = result[1]
                    else:
                        run.first_write_at = min(began, run.first_write_at or began)
                        written["lines"] += result[1]
                        written["files"] += 1
                    if bar is not None:
                        bar.update()
                if step < run.weeks:
                    stats = WeekStats(run.catalog, run.country_count)
                    for number in sorted(by_block[step]):
                        stats.add(by_block[step].pop(number))
                    weekly[step] = stats
                if step > 0:
                    shutil.rmtree(os.path.join(run.tmp, "w%d" % (step - 1)), ignore_errors=True)
        if run.shard[0] == 1:
            _write_results(run, weekly)
    finally:
        if bar is not None:
            bar.close()
        shutil.rmtree(run.tmp, ignore_errors=True)
        run.block_tables.clear()
        _CONTEXT = None
    run.finished_at = time.time()
    run.seconds = run.finished_at - started
    return weekly, written["lines"], written["files"]


def _step_description(step, weeks):
    if step == 0:
        return "week 1/%d: simulating blocks of systems" % weeks
    if step == weeks:
        return "week %d/%d: writing log files" % (weeks, weeks)
    return "week %d/%d: writing log files, week %d: simulating blocks of systems" % (step, weeks, step + 1)


def _write_results(run, weekly):
    result = truth.Truth(run, weekly)
    write_text(os.path.join(run.out, "truth.csv"), result.csv_text())
    write_text(os.path.join(run.out, "summary.json"), result.summary_json())
    if run.countries is not None:
        write_text(os.path.join(run.out, "truth-countries.csv"), result.country_csv_text())
    write_text(os.path.join(run.out, "summary.txt"), truth.summary_table(result.summary()))
    write_text(os.path.join(run.out, "scenario.toml"), to_toml(run.scenario))
