"""Command-line options shared by the countme-sim commands: scenario selection, numbers, shards."""

import argparse
import os

from alma_countme.sim.errors import SimError


def add_scenario_options(parser):
    parser.add_argument("--scenario", metavar="FILE",
                        help="TOML file of scenario keys to change (the rest keep the shipped default's "
                             "values), or the name of a shipped scenario (`countme-sim scenario --list`)")
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


def whole_number(low, high=None, unit=""):
    """An argparse ``type`` accepting whole numbers from ``low`` to ``high`` (None: no limit)."""
    span = "%d or more" % low if high is None else "%d to %d" % (low, high)
    if unit:
        span += " " + unit

    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a whole number (use %s)" % (text, span)) from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError("%d is out of range (use %s)" % (value, span))
        return value

    return convert


jobs = whole_number(1, 1024, "processes")
positive = whole_number(1)
seed = whole_number(0, 2 ** 63 - 1)
gzip_level = whole_number(1, 9, "(1 fast, 9 small)")
pixels = whole_number(50, 10000, "pixels")
port = whole_number(0, 65535)


def shard(text):
    """``K/N`` -> (K, N) with 1 <= K <= N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not K/N, e.g. 2/8" % text) from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("%s: K must be from 1 to N" % text)
    return k, n


def check_output_dir(path):
    if os.path.exists(path) and not os.path.isdir(path):
        raise SimError("--out %s exists and is not a directory" % path)
