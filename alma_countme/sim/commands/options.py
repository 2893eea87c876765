"""Command-line options shared by the countme-sim commands: scenario selection, numbers, shards."""

import argparse
import os

from alma_countme.sim.common.errors import SimError


def add_scenario_options(parser):
    parser.add_argument("--scenario", metavar="FILE",
                        help="TOML file of scenario keys to change (the rest keep the shipped default's "
                             "values), or the name of a shipped scenario (`countme-sim scenario --list`)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="change one scenario key, e.g. --set population.size=10000 (repeatable; "
                             "applied after --scenario; the value is TOML, else a string)")


def add_compression_options(parser):
    # Each option keeps its own value (no shared dest, no default level), so that compression()
    # can refuse combinations that would otherwise be dropped without a word.
    parser.add_argument("--compress", choices=("gzip", "zstd"), metavar="KIND",
                        help="compress the logs: gzip (.log.gz) or zstd (.log.zst) (default: plain .log)")
    parser.add_argument("--gzip", action="store_true", help="the same as --compress gzip")
    parser.add_argument("--gzip-level", type=gzip_level, metavar="L",
                        help="with --gzip: gzip level: 1 to 3 are ISA-L's fast levels, 4 to 9 zlib's "
                             "slower, smaller ones (default: 1)")
    parser.add_argument("--zstd-level", type=zstd_level, metavar="L",
                        help="with --compress zstd: zstd level, 1 (fast) to 19 (small) (default: 1)")


def compression(args):
    """The Compression the options of :func:`add_compression_options` ask for, or None (plain).

    SimError, naming both options, for a level of the other kind (or of no compression) and for
    --gzip with --compress zstd.
    """
    from alma_countme.sim.logs.compression import Compression

    kind, given = _compression_kind(args)
    levels = {"gzip": args.gzip_level, "zstd": args.zstd_level}
    for level_kind, level in levels.items():
        if level is not None and kind != level_kind:
            raise SimError(_unused_level(level_kind, level, kind, given))
    if kind is None:
        return None
    return Compression(kind, levels[kind])


def _unused_level(level_kind, level, kind, given):
    option = "--%s-level %d" % (level_kind, level)
    chooser = "--gzip" if level_kind == "gzip" else "--compress zstd"
    if kind is None:
        return ("%s without %s: the logs would be plain and the level unused; add %s, or leave "
                "--%s-level out" % (option, chooser, chooser, level_kind))
    return ("%s with %s: --%s-level is the level of %s logs (%s); for %s logs give --%s-level, or "
            "leave --%s-level out" % (option, given, level_kind, level_kind, chooser, kind, kind, level_kind))


def _compression_kind(args):
    """(kind or None, the options that chose it as the user wrote them, for messages)."""
    if args.gzip and args.compress not in (None, "gzip"):
        raise SimError("--gzip and --compress %s ask for two compressions; give one of them"
                       % args.compress)
    if args.compress is not None:
        return args.compress, "--compress %s" % args.compress
    if args.gzip:
        return "gzip", "--gzip"
    return None, ""


def load_scenario(args, overrides=()):
    """The scenario of --scenario and --set, then ``overrides``: (option as given, key, value) of
    options that set a key (generate --servers), checked as that key is and named by the option."""
    from alma_countme.sim.config import scenario
    return scenario.load(args.scenario, args.assignments, overrides)


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


def integer(text):
    """An argparse ``type`` for a whole number whose range a scenario key checks (generate --servers)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None


def positive_number(text):
    """An argparse ``type`` for a number above 0 (seconds, a factor); NaN is not one."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number, got %r" % text) from None
    if not value > 0:
        raise argparse.ArgumentTypeError("expected a number above 0, got %r" % text)
    return value


jobs = whole_number(1, 1024, "processes")
positive = whole_number(1)
seed = whole_number(0, 2 ** 63 - 1)
gzip_level = whole_number(1, 9, "(1 fast, 9 small)")
zstd_level = whole_number(1, 19, "(1 fast, 19 small)")
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


def _probe_directory(directory, option, shown):
    """Raise SimError unless a file can be created in ``directory`` (what every writer here does)."""
    import tempfile

    try:
        with tempfile.TemporaryFile(prefix=".countme-sim-probe-", dir=directory):
            pass
    except OSError as error:
        raise SimError("%s %s: cannot write there: %s" % (option, shown, error.strerror or error)) from None


def writable_dir(path, option="--out"):
    """Make sure ``path`` is a directory this process can create files in (made if missing).

    Called before any work starts, so that a bad output path costs one line and
    exit 2, not a traceback after the work is done.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise SimError("%s %s exists and is not a directory" % (option, path))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise SimError("%s %s: cannot create the directory: %s"
                       % (option, path, error.strerror or error)) from None
    _probe_directory(path, option, path)
    return path


def writable_file(path, option):
    """Make sure ``path`` can be written (atomically, next to where it goes) before any work starts."""
    if os.path.isdir(path):
        raise SimError("%s %s is a directory, not a file" % (option, path))
    if os.path.exists(path) and not os.path.isfile(path):
        raise SimError("%s %s exists and is not a regular file" % (option, path))
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise SimError("%s %s: directory %s does not exist" % (option, path, directory))
    _probe_directory(directory, option, path)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise SimError("%s %s: cannot write there: Permission denied" % (option, path))
    return path
