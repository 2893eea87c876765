"""countme-sim rollout: countme switched on for a fleet, with and without the plugin; trusted buckets."""

import argparse
import os
import sys

from alma_countme.sim.commands import options

SUMMARY = "simulate countme's rollout with and without the plugin; when can each bucket be trusted?"

DESCRIPTION = """\
Run one scenario twice with the same seed (by default the shipped "rollout"
scenario: countme switched on for a fleet of AlmaLinux 8 and 9 on libdnf's
legacy epoch rule, the plugin reaching more of it week by week): once as it is,
once without the plugin's rollout (rollout.plugin_share_by_week = {}). Then,
per week and bucket, compare the bucket's share of the countme estimate
(countme hits on baseos) with its share of the true active systems, and find
the first week from which each bucket's gap stays within --tolerance to the end
of the run.

Writes into DIR:
  with-plugin/, without-plugin/   each run's truth.csv, summary.json,
                                  summary.txt and scenario.toml (no logs
                                  unless --logs)
  rollout.txt, rollout.json       the table: trusted-from week per bucket and
                                  run, the gap per week
  rollout.png                     the gap per bucket and week, both runs

--from-runs WITH WITHOUT analyses two directories generate (or an earlier
rollout) wrote instead of simulating: two runs with the same start, number
of weeks and population size (--scenario, --set, --seed, --logs and --jobs,
which only shape a simulation, are refused with it)."""

EPILOG = """\
examples:
  countme-sim rollout --out rollout/
  countme-sim rollout --out big/ --set population.size=200000 --tolerance 1
  countme-sim rollout --out mine/ --scenario my-fleet.toml --json
  countme-sim rollout --out again/ --from-runs rollout/with-plugin rollout/without-plugin"""

WITH_DIR, WITHOUT_DIR = "with-plugin", "without-plugin"
NO_ROLLOUT = "rollout.plugin_share_by_week={}"


def _points(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of percentage points" % text) from None
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError("%s is out of range (use 0 to 100 points)" % text)
    return value


def register(subparsers):
    parser = subparsers.add_parser(
        "rollout", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    parser.add_argument("--scenario", metavar="FILE",
                        help="scenario file or shipped scenario name (default: rollout)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="change one scenario key in both runs (repeatable)")
    parser.add_argument("--seed", type=options.seed, metavar="N", help="random seed of both runs")
    parser.add_argument("--tolerance", type=_points, default=5.0, metavar="POINTS",
                        help="largest gap, in percentage points of a bucket's share, that counts as "
                             "trustworthy (default: %(default)s)")
    parser.add_argument("--from-runs", nargs=2, metavar=("WITH", "WITHOUT"),
                        help="analyse these two generated directories instead of simulating (runs "
                             "of one start, length and population size; not with --scenario, --set, "
                             "--seed, --logs or --jobs)")
    parser.add_argument("--logs", action="store_true", help="also write both runs' access logs")
    parser.add_argument("--jobs", type=options.jobs, default=None, metavar="N",
                        help="processes to use (default: all cores, here %d)" % options.default_jobs())
    parser.add_argument("--width", type=options.pixels, default=1400, metavar="PX", help="picture width")
    parser.add_argument("--height", type=options.pixels, default=900, metavar="PX", help="picture height")
    parser.add_argument("--json", action="store_true", help="print rollout.json instead of the table")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(func=run)
    return parser


def _simulate(args, directory, assignments):
    from alma_countme.sim.config import scenario as scenario_module
    from alma_countme.sim.generation import engine

    options.check_output_dir(directory)
    scenario = scenario_module.load(args.scenario or "rollout", assignments)
    simulation = engine.Run(scenario, directory, seed=args.seed, jobs=args.jobs or options.default_jobs(),
                            progress=not args.quiet and sys.stderr.isatty(), logs=args.logs)
    engine.generate(simulation)
    if not args.quiet:
        print("countme-sim rollout: %s in %.1f s" % (directory, simulation.seconds), file=sys.stderr)
    return directory


def _simulation_options(args):
    """The options given that only shape a simulation, as the user wrote them."""
    given = [("--scenario", args.scenario is not None), ("--set", bool(args.assignments)),
             ("--seed", args.seed is not None), ("--logs", args.logs), ("--jobs", args.jobs is not None)]
    return [option for option, present in given if present]


def run(args):
    import matplotlib

    matplotlib.use("Agg")
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.common.textfile import write_text
    from alma_countme.sim.reports import plot as charts
    from alma_countme.sim.reports import rollout

    if args.from_runs and _simulation_options(args):
        unused = _simulation_options(args)
        raise SimError("%s with --from-runs: the two runs are read as they are, nothing is simulated; "
                       "leave %s out, or drop --from-runs to simulate"
                       % (", ".join(unused), "it" if len(unused) == 1 else "them"))
    options.check_output_dir(args.out)
    files = [os.path.join(args.out, name) for name in ("rollout.txt", "rollout.json", "rollout.png")]
    for path in files:
        charts.check_output_file(path, "--out %s" % args.out)
    if args.from_runs:
        with_dir, without_dir = args.from_runs
        summaries = rollout.load_runs(with_dir, without_dir)
    else:
        for name in (WITH_DIR, WITHOUT_DIR):
            options.check_output_dir(os.path.join(args.out, name))
    options.writable_dir(args.out)
    if not args.from_runs:
        with_dir = _simulate(args, os.path.join(args.out, WITH_DIR), args.assignments)
        without_dir = _simulate(args, os.path.join(args.out, WITHOUT_DIR), args.assignments + [NO_ROLLOUT])
        summaries = rollout.load_runs(with_dir, without_dir)
    report = rollout.analyse(summaries, args.tolerance)
    report["runs"]["with_plugin"]["path"] = with_dir
    report["runs"]["without_plugin"]["path"] = without_dir
    text = rollout.table(report)
    write_text(files[0], text)
    write_text(files[1], rollout.report_json(report))
    picture = rollout.plot(report, files[2], args.width, args.height)
    if args.json:
        sys.stdout.write(rollout.report_json(report))
    elif not args.quiet:
        sys.stdout.write(text)
        print("wrote %s, %s and %s" % (files[0], files[1], picture), file=sys.stderr)
    return 0
