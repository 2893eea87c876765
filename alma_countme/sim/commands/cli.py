"""The ``countme-sim`` command: a table of subcommands, each in its own module.

A command module ``alma_countme.sim.commands.<name>`` exposes ``SUMMARY`` (its
one line in ``countme-sim --help``), ``register(subparsers)`` (adds its parser,
with its own --help, and sets ``func=run``) and ``run(args) -> int``. Every
command module is imported to build the parser, so each stays light at import:
numpy, matplotlib or locust are imported inside ``run``, where they are needed.
A command whose module is missing from the build is listed as not available.
"""

import argparse
import importlib
import os
import sys

from alma_countme.sim.common.errors import SimError

PROG = "countme-sim"

# (name, module); each module's SUMMARY is its line in `countme-sim --help`.
COMMANDS = (
    ("generate", "alma_countme.sim.commands.generate"),
    ("scenario", "alma_countme.sim.commands.scenario"),
    ("summary", "alma_countme.sim.commands.summary"),
    ("bench", "alma_countme.sim.commands.bench"),
    ("serve", "alma_countme.sim.commands.serve"),
    ("replay", "alma_countme.sim.commands.replay"),
    ("verify", "alma_countme.sim.commands.verify"),
    ("plot", "alma_countme.sim.commands.plot"),
    ("compare", "alma_countme.sim.commands.compare"),
    ("rollout", "alma_countme.sim.commands.rollout"),
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


NOT_AVAILABLE = "(not available in this build)"


class _NotAvailable(Exception):
    pass


def _load(name, module_name):
    """The command's module; _NotAvailable when the build left it out (not when it imports something
    missing: that error is the command's own)."""
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
            return word if word in dict(COMMANDS) else None
    return None


def build_parser(chosen):
    """The top-level parser; ``chosen`` gets its real parser, the others a placeholder with their summary.

    _NotAvailable when ``chosen`` is not in this build.
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, module_name in COMMANDS:
        try:
            module = _load(name, module_name)
        except _NotAvailable:
            if name == chosen:
                raise
            subparsers.add_parser(name, help=NOT_AVAILABLE, add_help=False)
            continue
        if name == chosen:
            module.register(subparsers)
        else:
            subparsers.add_parser(name, help=module.SUMMARY, add_help=False)
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
