"""countme-sim plot: PNG charts of a simulation's weeks."""

import argparse
import json
import sys

from alma_countme.sim.commands import options

SUMMARY = "draw PNG charts: systems per week by bucket, and the OS version and arch mix"

DESCRIPTION = """\
Draw PNG charts from the summary.json `countme-sim generate` wrote:

  systems-per-week.png   true active systems, the countme estimate (countme hits
                         on the reference repo) and distinct client addresses
                         per week; below, per bucket, the systems' true install
                         age next to what countme reported
  version-arch-mix.png   share of active systems per OS version and per arch
  countries.png          (runs with countries) per country: true active systems
                         and the countme estimate, and their bucket mix

With --totals, a server's own counts (mirrors-countme CSV or SQLite) are drawn
next to the simulator's estimate, up to the last week those totals hold
(mirrors-countme holds back the last, incomplete week). Up to 8 weeks are
drawn as grouped bars, more as lines. In systems-per-week.png incomplete
weeks are shaded. Below 800 x 500 pixels the charts get unreadable: plot
warns and draws them anyway."""

EPILOG = """\
examples:
  countme-sim plot out/ --out out/plots
  countme-sim plot out/summary.json --out plots --totals totals.csv --width 1000 --height 640"""


def register(subparsers):
    parser = subparsers.add_parser(
        "plot", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("summary", metavar="SUMMARY",
                        help="summary.json, or the directory `countme-sim generate --out` wrote")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the PNG files")
    parser.add_argument("--totals", metavar="FILE",
                        help="also draw a server's totals (countme-totals CSV or SQLite, or truth.csv)")
    parser.add_argument("--reference-repo", metavar="REPO",
                        help="with --totals: the repo whose countme hits estimate the systems"
                             " (default: the summary's reference_repo, else baseos); a repo without"
                             " countme hits in the totals is refused, naming their repos")
    parser.add_argument("--width", type=options.pixels, default=1400, metavar="PX",
                        help="image width (default: 1400)")
    parser.add_argument("--height", type=options.pixels, default=900, metavar="PX",
                        help="image height (default: 900)")
    parser.add_argument("--dpi", type=options.whole_number(10, 1000), default=100, metavar="N",
                        help="dots per inch: scales text and lines, not the pixel size (default: 100)")
    parser.add_argument("--json", action="store_true", help="print the written files as JSON")
    parser.set_defaults(func=run)
    return parser


def _output_paths(summary, out_dir):
    """The PNG files run() writes into ``out_dir`` for ``summary`` (and countries.png for countries)."""
    import os

    from alma_countme.sim.reports import plot, plot_countries

    names = [plot.SYSTEMS_FILE, plot.MIX_FILE]
    if summary.get("countries"):
        names.append(plot_countries.COUNTRIES_FILE)
    return [os.path.join(out_dir, name) for name in names]


def run(args):
    import matplotlib

    matplotlib.use("Agg")  # never a display, even when one is around
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.logs import totals_file
    from alma_countme.sim.reports import compare, plot

    if args.reference_repo and not args.totals:
        raise SimError("--reference-repo %s: only the server's totals are counted on it; give --totals "
                       "FILE too, or leave --reference-repo out" % args.reference_repo)
    summary = plot.load_summary(args.summary)
    server = None
    if args.totals:
        reference = args.reference_repo or summary.get("reference_repo") or "baseos"
        totals = totals_file.read_totals(args.totals)
        server = plot.server_estimates(totals.rows, reference)
        if not any(sum(counts.values()) for counts in server.values()):
            raise SimError(compare.unknown_reference(totals, reference, "--reference-repo"))
    options.writable_dir(args.out)
    for path in _output_paths(summary, args.out):
        plot.check_output_file(path, "--out %s" % args.out)
    warning = plot.size_warning(args.width, args.height)
    if warning:
        print("countme-sim plot: warning: %s" % warning, file=sys.stderr)
    paths = plot.plot_all(summary, args.out, args.width, args.height, args.dpi, server=server)
    if summary.get("countries"):
        import os

        from alma_countme.sim.reports import plot_countries

        paths.append(plot_countries.plot(summary, os.path.join(args.out, plot_countries.COUNTRIES_FILE),
                                         args.width, args.height, args.dpi))
    if args.json:
        files = [{"path": path, "width": size[0], "height": size[1]}
                 for path, size in ((path, plot.png_size(path)) for path in paths)]
        json.dump({"files": files, "weeks": len(summary["weeks"])}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for path in paths:
            print(path)
    return 0
