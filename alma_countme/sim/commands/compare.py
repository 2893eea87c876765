"""countme-sim compare: real countme totals against a simulation's, week by week."""

import argparse
import sys

from alma_countme.sim.commands import options

SUMMARY = "compare real countme totals (mirrors-countme CSV) with a simulation's, week by week"

DESCRIPTION = """\
Compare a real countme-totals CSV (mirrors-countme's format: Fedora's published
totals, or AlmaLinux's own once there are some) with a simulation's truth.csv,
measured the same way on both, weeks aligned by their number since each side's
first counted week: the buckets' shares of the hits on a reference repo (one
per system), the weeks until buckets 2, 3 and 4 first appear (reach --appear
percent), countme hits per counted system, the week-over-week change of the
estimate, and the OS version and arch mix. Prints a table (or --json) and,
with --plot, draws the picture."""

EPILOG = """\
examples:
  countme-sim compare --real ../shared/data/fedora-countme-2020/totals.csv sim/
  countme-sim compare --real totals.csv sim/ --plot compare.png --json
  countme-sim compare --real alma-totals.csv sim/ --real-reference baseos"""


def register(subparsers):
    parser = subparsers.add_parser(
        "compare", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("simulation", metavar="SIM", help="the directory generate wrote, or its truth.csv")
    parser.add_argument("--real", required=True, metavar="TOTALS",
                        help="the real totals: a countme-totals CSV (or its SQLite database)")
    parser.add_argument("--real-reference", default="updates-released", metavar="REPO",
                        help="the real side's reference repo (default: %(default)s, Fedora's updates; "
                             "baseos for AlmaLinux totals); a repo the file lacks is refused, naming its "
                             "repos")
    parser.add_argument("--sim-reference", default="baseos", metavar="REPO",
                        help="the simulation's reference repo (default: %(default)s)")
    parser.add_argument("--appear", type=float, default=5.0, metavar="PERCENT",
                        help="share at which a bucket counts as appeared (default: %(default)s)")
    parser.add_argument("--plot", metavar="PNG", help="draw the comparison into this PNG file")
    parser.add_argument("--width", type=options.pixels, default=1400, metavar="PX", help="picture width")
    parser.add_argument("--height", type=options.pixels, default=900, metavar="PX", help="picture height")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args):
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.reports import compare

    if not 0.0 < args.appear <= 100.0:
        raise SimError("--appear %s: use a share from 0 (excluded) to 100" % args.appear)
    if args.plot:
        options.writable_file(args.plot, "--plot")  # before the work: a directory there is one line
    report = compare.compare(args.real, args.simulation, args.real_reference, args.sim_reference, args.appear)
    for side in ("real", "simulation"):
        if not report[side]["weeks"]:
            raise SimError("%s: no countme rows (sys_age 1-4)" % report[side]["path"])
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        compare.plot(report, args.plot, args.width, args.height)
    if args.json:
        sys.stdout.write(compare.report_json(report))
    else:
        sys.stdout.write(compare.table(report))
    return 0
