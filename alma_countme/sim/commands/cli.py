"""The ``countme-sim`` command: a table of subcommands, each in its own module.

A command module ``alma_countme.sim.commands.<name>`` exposes ``register(subparsers)``
(adds its parser, with its own --help, and sets ``func=run``) and
``run(args) -> int``. Only the chosen command's module is imported, so numpy,
matplotlib or locust load only where they are needed.
"""

import argparse
import importlib
import os
import sys

from alma_countme.sim.common.errors import SimError

PROG = "countme-sim"

# (name, module, one-line summary shown by `countme-sim --help`)
COMMANDS = (
    ("generate", "alma_countme.sim.commands.generate",
     "simulate AlmaLinux systems week by week; write access logs, truth.csv and a summary"),
    ("scenario", "alma_countme.sim.commands.scenario",
     "print the effective scenario (defaults + --scenario FILE + --set), or every key with --keys"),
    ("summary", "alma_countme.sim.commands.summary",
     "print the weekly summary of a generated directory (table or --json)"),
    ("bench", "alma_countme.sim.commands.bench",
     "measure generation speed (lines per second per core), total time and peak memory"),
    ("serve", "alma_countme.sim.commands.serve",
     "run a small local mirrorlist/metalink server that writes an access log"),
    ("replay", "alma_countme.sim.commands.replay",
     "send a simulated request stream to a mirrorlist service over HTTP (load replay)"),
    ("verify", "alma_countme.sim.commands.verify",
     "compare a server's weekly countme totals with the simulation's truth"),
    ("plot", "alma_countme.sim.commands.plot",
     "draw PNG charts: systems per week by bucket, and the OS version and arch mix"),
    ("compare", "alma_countme.sim.commands.compare",
     "compare real countme totals (mirrors-countme CSV) with a simulation's, week by week"),
    ("rollout", "alma_countme.sim.commands.rollout",
     "simulate countme's rollout with and without the plugin; when can each bucket be trusted?"),
)

DESCRIPTION = """\
Simulated DNF countme traffic of AlmaLinux systems, with the ground truth, for
testing the server side that counts systems (AlmaLinux's mirror service and its
statistics, or Fedora's mirrors-countme).

Run `countme-sim COMMAND --help` for a command's options."""

EPILOG = """\
examples:
  countme-sim generate --out out/                      # the default scenario, 4 weeks
  countme-sim generate --out small/ --set population.size=10000 --format fedora
  countme-sim scenario --keys                          # every scenario key, its default and allowed values
  countme-sim summary out/
  countme-sim bench --systems 1000000 --weeks 1
  countme-sim rollout --out rollout/                   # countme switched on, with and without the plugin
  countme-sim compare --real totals.csv sim/           # real countme totals against a simulation
  countme-sim generate --out geo/ --set countries.database=geoip-database   # with countries

exit status: 0 success, 1 a check failed (verify, replay), 2 bad input or an error"""


class _NotAvailable(Exception):
    pass


def _load(name, module_name):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise _NotAvailable(name) from None
        raise


def _chosen(argv):
    """The subcommand named in ``argv`` (its first word that is not an option), or None."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in dict((c[0], c) for c in COMMANDS) else None
    return None


def build_parser(chosen):
    """The top-level parser; ``chosen`` gets its real parser, the others a placeholder."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, module_name, summary in COMMANDS:
        if name == chosen:
            _load(name, module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = _chosen(argv)
    try:
        parser = build_parser(chosen)
    except _NotAvailable as missing:
        print("%s: command %s is not available in this build" % (PROG, missing), file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if chosen is None or not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except SimError as error:
        print("%s: %s" % (PROG, error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("%s: interrupted" % PROG, file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and let Python's exit flush nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
