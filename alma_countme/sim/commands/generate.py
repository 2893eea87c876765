"""countme-sim generate: simulate the systems and write the logs, the truth and the summary."""

import argparse
import json
import os
import sys

from alma_countme.sim.commands import options

SUMMARY = "simulate AlmaLinux systems week by week; write access logs, truth.csv and a summary"

DESCRIPTION = """\
Simulate a population of AlmaLinux systems week by week (the shipped default
scenario, changed by --scenario and --set), each deciding its countme flag with
the project's countme model, and write what the mirror service would log:

  DIR/logs/mirrorK/access-YYYY-MM-DD.log[.gz|.zst]   one file per service node
                     and UTC day, lines in time order, in the AlmaLinux or Fedora
                     format; --gzip (ISA-L level 1 unless --gzip-level) or
                     --compress zstd compresses them
  DIR/truth.csv      what a correct pipeline must count, in mirrors-countme's
                     countme-totals CSV format, for every complete week: the
                     countme rows (sys_age 1-4) and the unique-address rows (-1)
  DIR/summary.json   per week: true active systems and their install-age buckets,
                     countme hits and the usual estimate per bucket, distinct
                     client addresses, requests, lines, versions and arches
  DIR/summary.txt    the same as a table
  DIR/truth-countries.csv  with countries.database set: countme hits per
                     complete week, country and bucket (week_start,country,
                     sys_age,hits); the summaries then have per-country rows
  DIR/scenario.toml  the effective scenario (reproduces the run with
                     `generate --scenario DIR/scenario.toml`)

The same scenario and seed give byte-identical files, whatever --jobs. --shard
K/N writes only every N-th log file (K-th of N), so N runs, on one machine or
many, write disjoint parts whose union is exactly the unsharded output; shard 1
also writes truth.csv, the summaries and scenario.toml. Every shard simulates
all systems; shards split the writing. Memory grows with the population, not
with the number of lines. A progress bar shows on a terminal."""

EPILOG = """\
examples:
  countme-sim generate --out out/
  countme-sim generate --out small/ --set population.size=10000 --set run.weeks=5 --format fedora
  countme-sim generate --out big/ --scenario mine.toml --seed 7 --gzip --jobs 8
  countme-sim generate --out z/ --compress zstd --zstd-level 3
  for k in 1 2 3 4; do countme-sim generate --out big/ --shard $k/4 --quiet & done; wait"""


def register(subparsers):
    parser = subparsers.add_parser(
        "generate", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output directory (created if needed; refused while DIR/logs holds access "
                             "logs of an earlier run that this run would not overwrite)")
    options.add_scenario_options(parser)
    parser.add_argument("--seed", type=options.seed, metavar="N",
                        help="random seed (default: the scenario's run.seed, 1 in the shipped one)")
    parser.add_argument("--format", choices=("almalinux", "fedora"),
                        help="log format (default: the scenario's output.format, almalinux in the "
                             "shipped one)")
    parser.add_argument("--servers", type=options.integer, metavar="N",
                        help="service nodes mirror1..mirrorN, each with its own logs "
                             "(default: the scenario's output.servers, 2 in the shipped one)")
    options.add_compression_options(parser)
    parser.add_argument("--shard", type=options.shard, default=(1, 1), metavar="K/N",
                        help="write only the K-th of N disjoint parts of the logs (default: 1/1, all)")
    parser.add_argument("--jobs", type=options.jobs, default=None, metavar="N",
                        help="processes to use (default: all cores, here %d)" % options.default_jobs())
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no closing report")
    parser.add_argument("--json", action="store_true", help="print the closing report as JSON on stdout")
    parser.set_defaults(func=run)
    return parser


def _scenario_overrides(args):
    """--servers as a scenario key, so that it has output.servers's range and the error names it."""
    if args.servers is None:
        return []
    return [("--servers %d" % args.servers, "output.servers", args.servers)]


def run(args):
    from alma_countme.sim.generation import engine

    options.check_output_dir(args.out)
    compression = options.compression(args)
    scenario = options.load_scenario(args, _scenario_overrides(args))
    simulation = engine.Run(
        scenario, args.out, fmt=args.format, seed=args.seed, shard=args.shard,
        jobs=args.jobs or options.default_jobs(),
        compression=compression,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    weekly, lines, files = engine.generate(simulation)
    report = {
        "out": args.out,
        "shard": "%d/%d" % args.shard,
        "format": simulation.format,
        "seed": simulation.seed,
        "weeks": len(weekly),
        "files": files,
        "lines": lines,
        "seconds": round(simulation.seconds, 3),
        "wrote_truth": args.shard[0] == 1,
    }
    if args.json:
        print(json.dumps(report, indent=1))
    elif not args.quiet:
        truth = "truth.csv, %ssummary.json, summary.txt, scenario.toml" % (
            "truth-countries.csv, " if simulation.countries is not None else "")
        print("countme-sim generate: %s lines in %d log files under %s in %.1f s%s"
              % ("{:,}".format(lines), files, os.path.join(args.out, "logs"), simulation.seconds,
                 "; " + truth if report["wrote_truth"] else ""),
              file=sys.stderr)
    return 0
