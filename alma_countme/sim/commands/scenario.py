"""countme-sim scenario: the effective scenario, or every key with its default and allowed values."""

import argparse
import json

from alma_countme.sim.commands import options

SUMMARY = "print the effective scenario (defaults + --scenario FILE + --set), or every key with --keys"

DESCRIPTION = """\
Print the scenario a `generate` with the same --scenario and --set would use:
the shipped default (alma_countme/sim/config/scenarios/default.toml) with the file's
keys and then the --set assignments applied, checked key by key. Bad keys are
reported with the file they came from and the allowed values.

--keys lists every key: its allowed values, its default and what it means.
--list lists the shipped scenarios; --scenario takes a name from it too."""

EPILOG = """\
examples:
  countme-sim scenario > mine.toml          # a complete scenario to edit
  countme-sim scenario --scenario mine.toml --set run.weeks=8 --json
  countme-sim scenario --keys
  countme-sim scenario --list
  countme-sim scenario --scenario rollout   # a shipped scenario, by name"""


def register(subparsers):
    parser = subparsers.add_parser(
        "scenario", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_scenario_options(parser)
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the effective scenario as JSON")
    shown.add_argument("--keys", action="store_true", help="list every key, its allowed values and default")
    shown.add_argument("--list", action="store_true", help="list the shipped scenarios (--scenario NAME)")
    parser.set_defaults(func=run)
    return parser


def run(args):
    from alma_countme.sim.config import scenario as scenario_module
    from alma_countme.sim.config.dump import to_json, to_toml

    if args.list:
        rows = scenario_module.shipped()
        width = max(len(name) for name, _, _ in rows)
        for name, path, about in rows:
            print("%-*s  %s\n%-*s  %s" % (width, name, about, width, "", path))
        return 0
    if args.keys:
        rows = scenario_module.describe_keys()
        for key, allowed, default, doc in rows:
            print("%s = %s\n    %s\n    allowed: %s\n" % (key, default, doc, allowed))
        return 0
    scenario = options.load_scenario(args)
    if args.json:
        print(json.dumps(to_json(scenario), indent=1))
    else:
        print(to_toml(scenario), end="")
    return 0
