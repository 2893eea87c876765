"""countme-sim verify: compare a server's weekly countme totals with the simulator's truth."""

import argparse
import json
import sys

from alma_countme.sim.commands import options

SUMMARY = "compare a server's countme totals (mirrors-countme CSV/SQLite, or its logs) with truth.csv"

DESCRIPTION = """\
Compare a statistics pipeline's weekly countme totals with the ground truth the
simulator wrote (truth.csv), per week, bucket (sys_age), repo, OS version, arch
and full row. Prints each difference beyond the tolerance and what it points to
(a lost bucket or repo, a missing week, over- or under-counting).

The server side is one of:
  TOTALS          a CSV written by `countme-totals --csv-dump`, the SQLite
                  database countme-totals writes, or the raw SQLite database
                  `countme-parse-access-log --sqlite` writes;
  --logs PATH...  the server's access logs (AlmaLinux nginx format or Combined
                  Log Format, .gz and .zst allowed; directories are searched),
                  counted here with mirrors-countme's rules.

Unique-address rows (sys_age -1) are compared only when the truth has them.

Per country (runs with countries.database set): --countries CSV compares a
pipeline's per-country totals (CSV: week_start,country,sys_age,hits; see
doc/countme-replay.md) with the truth's truth-countries.csv; with --logs,
--geoip DB counts the logs per country, looking each client address up in DB
("geoip-database" or a MaxMind DB file), and compares that too. With
--countries alone, TOTALS and --logs may be left out.
Exit status: 0 when every difference is within the tolerance, 1 otherwise,
2 on bad input."""

EPILOG = """\
examples:
  countme-sim verify --truth out/ totals.csv
  countme-sim verify --truth out/truth.csv --logs /var/log/nginx/ --tolerance 0.5% --json
  countme-sim verify --truth out/ --countries by-country.csv
  countme-sim verify --truth out/ --logs out/logs --geoip geoip-database"""


def register(subparsers):
    parser = subparsers.add_parser(
        "verify", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("totals", nargs="?", metavar="TOTALS",
                        help="the server's totals: CSV, countme-totals SQLite or countme_raw SQLite")
    parser.add_argument("--truth", required=True, metavar="PATH",
                        help="truth.csv, or the directory `countme-sim generate --out` wrote")
    parser.add_argument("--logs", nargs="+", metavar="PATH",
                        help="count these access logs (files or directories) instead of reading TOTALS")
    parser.add_argument("--tolerance", default="0", metavar="N|P%",
                        help="allowed difference per cell: a number of hits, or a percentage of the "
                             "truth's cell (default: 0, exact)")
    parser.add_argument("--levels", default=",".join(_levels()), metavar="LIST",
                        help="comma-separated levels to check, at least one (default: %(default)s)")
    parser.add_argument("--no-dedupe", dest="dedupe", action="store_false",
                        help="only with --logs: count identical lines twice (mirrors-countme's SQLite mode "
                             "stores them once, and so does the default)")
    parser.add_argument("--max-differences", type=options.whole_number(0), default=20, metavar="N",
                        help="differences to print, 0 or more (default: %(default)s; --json lists all)")
    parser.add_argument("--countries", metavar="CSV",
                        help="also compare a pipeline's per-country totals (week_start,country,sys_age,hits) "
                             "with truth-countries.csv")
    parser.add_argument("--geoip", metavar="DB",
                        help="with --logs: also count the logs per country with this database "
                             "(geoip-database or a MaxMind DB file) and compare with truth-countries.csv")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(func=run)
    return parser


def _levels():
    from alma_countme.sim.reports.verify import LEVELS

    return LEVELS


def run(args):
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.logs import totals_file
    from alma_countme.sim.reports import verify

    if args.geoip and not args.logs:
        raise SimError("verify: --geoip counts access logs per country; give --logs too")
    if not args.dedupe and not args.logs:
        raise SimError("verify: --no-dedupe changes how --logs are counted; give --logs too")
    levels = verify.parse_levels(args.levels)
    if args.countries and not args.totals and not args.logs:
        return _run_countries(args, [])
    if bool(args.totals) == bool(args.logs):
        raise SimError("verify: give either TOTALS or --logs (the server's side), not %s"
                       % ("both" if args.totals else "neither"))
    tolerance = verify.parse_tolerance(args.tolerance)
    truth = totals_file.read_totals(args.truth)
    skipped = None
    if args.logs:
        server, skipped = _totals_from_logs(args.logs, args.dedupe)
    else:
        server = totals_file.read_totals(args.totals)
    result = verify.compare(truth, server, tolerance, levels)
    if args.countries or args.geoip:
        return _run_countries(args, [result])
    if args.json:
        report = result.as_json()
        if skipped is not None:
            report["unreadable_lines"] = skipped.count
            report["unreadable_example"] = skipped.example and list(skipped.example)
            report["files_without_log_lines"] = [path for path, _ in skipped.files_without_records]
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(result.format_text(max_differences=args.max_differences))
    return 0 if result.ok else 1


def _truth_countries(path):
    import os

    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.reports import verify_countries

    base = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    csv_path = os.path.join(base, "truth-countries.csv")
    if not os.path.exists(csv_path):
        raise SimError("%s: no truth-countries.csv (the run had countries.database = \"none\")" % base)
    return verify_countries.read(csv_path)


def _run_countries(args, results):
    """Per-country comparisons (after the totals comparison in ``results``, when there is one)."""
    from alma_countme.sim.reports import verify, verify_countries

    tolerance = verify.parse_tolerance(args.tolerance)
    truth = _truth_countries(args.truth)
    reports = []
    if args.countries:
        reports.append(verify_countries.report(truth, verify_countries.read(args.countries), tolerance,
                                               args.countries))
    if args.geoip:
        counted = verify_countries.from_logs(args.logs, args.geoip, args.dedupe)
        reports.append(verify_countries.report(truth, counted, tolerance,
                                               "logs, looked up in %s" % args.geoip))
    ok = all(result.ok for result in results) and all(report["ok"] for report in reports)
    if args.json:
        document = results[0].as_json() if results else {}
        document["countries"] = reports
        document["ok"] = ok
        json.dump(document, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for result in results:
            print(result.format_text(max_differences=args.max_differences))
        for report in reports:
            print(verify_countries.format_text(report, args.max_differences))
    return 0 if ok else 1


def _totals_from_logs(paths, dedupe):
    """``(Totals, SkippedLines)`` of the logs; says on stderr what could not be read."""
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.logs import logparse, logsource, tally, totals_file

    skipped = logparse.SkippedLines()
    counted = tally.tally_records(logsource.records(paths, skipped=skipped), dedupe=dedupe)
    example = ""
    if skipped.example:
        example = "; e.g. %s line %d: %r" % skipped.example
    empty = skipped.files_without_records
    files = sum(len(names) for names in logsource.log_files(paths).values())
    if len(empty) == files:
        raise SimError("--logs: no access log lines (AlmaLinux nginx or Combined Log Format) in %s%s"
                       % (", ".join(path for path, _ in empty), example))
    for path, lines in empty:
        print("countme-sim verify: %s holds no access log lines (%s other line%s); left out"
              % (path, "{:,}".format(lines), "" if lines == 1 else "s"), file=sys.stderr)
    if skipped.count:
        print("countme-sim verify: %s line%s in neither log format passed over (as mirrors-countme does)%s"
              % ("{:,}".format(skipped.count), "" if skipped.count == 1 else "s", example), file=sys.stderr)
    label = paths[0] if len(paths) == 1 else "%s (+%d more)" % (paths[0], len(paths) - 1)
    return totals_file.Totals(label, "access logs", counted.totals()), skipped
