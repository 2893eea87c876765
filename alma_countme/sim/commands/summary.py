"""countme-sim summary: the weekly summary of a generated directory."""

import argparse
import json

SUMMARY = "print the weekly summary of a generated directory (table or --json)"

DESCRIPTION = """\
Print the weekly summary `countme-sim generate` wrote (summary.json) as a table:
per week, whether mirrors-countme counts it as complete, the true number of
active systems and their install-age buckets, the countme estimate (countme
hits on the reference repo, baseos) per bucket, all countme hits, distinct
client addresses, requests and log lines. --json prints summary.json itself."""

EPILOG = """\
examples:
  countme-sim summary out/
  countme-sim summary out/summary.json --json"""


def register(subparsers):
    parser = subparsers.add_parser(
        "summary", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", metavar="DIR|FILE", help="the directory generate wrote, or its summary.json")
    parser.add_argument("--json", action="store_true", help="print summary.json as it is")
    parser.set_defaults(func=run)
    return parser


def run(args):
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.generation import truth

    summary = truth.load_summary(args.path)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        try:
            print(truth.summary_table(summary), end="")
        except (KeyError, TypeError) as error:
            raise SimError("%s lacks a field of schema %d: %s" % (args.path, truth.SCHEMA, error)) from None
    return 0
