"""Command-line options shared by generate and bench: scenario selection, jobs, shards."""

import argparse
import os

from alma_countme.sim.errors import SimError


def add_scenario_options(parser):
    parser.add_argument("--scenario", metavar="FILE",
                        help="TOML file of scenario keys to change (the rest keep the shipped default's "
                             "values)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="change one scenario key, e.g. --set population.size=10000 (repeatable; "
                             "applied after --scenario; the value is TOML, else a string)")


def load_scenario(args):
    from alma_countme.sim import scenario
    return scenario.load(args.scenario, args.assignments)


def default_jobs():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of processes" % text) from None
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError("%d: use 1 to 1024 processes" % value)
    return value


def shard(text):
    """``K/N`` -> (K, N) with 1 <= K <= N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not K/N, e.g. 2/8" % text) from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("%s: K must be from 1 to N" % text)
    return k, n


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("%d: must be at least 1" % value)
    return value


def seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None
    if not 0 <= value < 2 ** 63:
        raise argparse.ArgumentTypeError("%d: use 0 to 2**63-1" % value)
    return value


def gzip_level(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a level" % text) from None
    if not 1 <= value <= 9:
        raise argparse.ArgumentTypeError("%d: use 1 (fast) to 9 (small)" % value)
    return value


def check_output_dir(path):
    if os.path.exists(path) and not os.path.isdir(path):
        raise SimError("--out %s exists and is not a directory" % path)
