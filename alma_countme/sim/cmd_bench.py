"""countme-sim bench: how fast generate runs here, and how much memory it takes."""

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time

from alma_countme.sim import options

SUMMARY = "measure generation speed (lines per second per core), total time and peak memory"

DESCRIPTION = """\
Run `generate` on the default scenario with --systems systems for --weeks weeks
into a temporary directory (removed afterwards unless --keep), and print:

  lines and bytes written, total (wall) time, lines per second, lines per
  second per core (lines per second / jobs), CPU seconds (this process and its
  workers), and peak memory: the largest resident set of this process and of
  any worker (getrusage).

The project's targets on a 2-core machine: at least 1,000,000 lines per second
per core, and 1,000,000 systems for one week in under 2 minutes; bench says
whether this run met them."""

EPILOG = """\
examples:
  countme-sim bench                                # 1,000,000 systems, 1 week, all cores
  countme-sim bench --systems 100000 --weeks 2 --jobs 1 --json"""

TARGET_LINES_PER_CORE = 1_000_000
TARGET_SECONDS_1M_WEEK = 120


def register(subparsers):
    parser = subparsers.add_parser(
        "bench", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--systems", type=options.positive, default=1_000_000, metavar="N",
                        help="population.size (default: %(default)s)")
    parser.add_argument("--weeks", type=options.positive, default=1, metavar="N",
                        help="run.weeks (default: 1)")
    parser.add_argument("--jobs", type=options.jobs, default=None, metavar="N",
                        help="processes (default: all cores, here %d)" % options.default_jobs())
    parser.add_argument("--format", choices=("almalinux", "fedora"), default="almalinux",
                        help="log format (default: %(default)s)")
    parser.add_argument("--gzip", action="store_true", help="compress the logs (level 6)")
    parser.add_argument("--dir", metavar="DIR",
                        help="where to make the temporary output (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the output and print where it is")
    parser.add_argument("--countries", metavar="DB", nargs="?", const="geoip-database",
                        help="with countries: countries.database=DB (default: geoip-database)")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.set_defaults(func=run)
    return parser


def _directory_bytes(path):
    import os
    total = 0
    for directory, _, names in os.walk(path):
        for name in names:
            total += os.path.getsize(os.path.join(directory, name))
    return total


def run(args):
    from alma_countme.sim import engine, scenario

    jobs = args.jobs or options.default_jobs()
    assignments = ["population.size=%d" % args.systems, "run.weeks=%d" % args.weeks]
    if args.countries:
        assignments.append("countries.database=%s" % args.countries)
    settings = scenario.load(assignments=assignments)
    out = tempfile.mkdtemp(prefix="countme-sim-bench-", dir=args.dir)
    try:
        simulation = engine.Run(settings, out, fmt=args.format, jobs=jobs,
                                compress_level=6 if args.gzip else None,
                                progress=not args.json and sys.stderr.isatty())
        started = time.perf_counter()
        _, lines, files = engine.generate(simulation)
        seconds = time.perf_counter() - started
        size = _directory_bytes(out)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
    result = {
        "systems": args.systems, "weeks": args.weeks, "jobs": jobs, "format": args.format, "gzip": args.gzip,
        "countries": args.countries or None,
        "lines": lines, "files": files, "bytes": size, "seconds": round(seconds, 3),
        "simulate_seconds": round(simulation.phase_seconds["simulate"], 3),
        "write_seconds": round(simulation.phase_seconds["write"], 3),
        "lines_per_second": round(lines / seconds),
        "lines_per_second_per_core": round(lines / seconds / jobs),
        "cpu_seconds": round(cpu, 3), "lines_per_cpu_second": round(lines / cpu) if cpu else None,
        "peak_rss_mib": round(me.ru_maxrss / 1024, 1),
        "peak_worker_rss_mib": round(workers.ru_maxrss / 1024, 1),
        "target_lines_per_second_per_core": TARGET_LINES_PER_CORE,
        "met_lines_target": lines / seconds / jobs >= TARGET_LINES_PER_CORE,
    }
    if args.systems >= 1_000_000 and args.weeks == 1:
        result["met_1m_week_target"] = seconds < TARGET_SECONDS_1M_WEEK
    if args.keep:
        result["kept"] = out
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print("countme-sim bench: %s systems, %d week%s, %s format, %d job%s%s" % (
        "{:,}".format(args.systems), args.weeks, "" if args.weeks == 1 else "s", args.format, jobs,
        "" if jobs == 1 else "s", ", gzip" if args.gzip else "")
        + (", countries from %s" % args.countries if args.countries else ""))
    print("  lines written        %15s  in %d files, %s bytes"
          % ("{:,}".format(lines), files, "{:,}".format(size)))
    print("  total time           %15.2f s  (simulating %.2f s, writing logs %.2f s)" % (
        seconds, result["simulate_seconds"], result["write_seconds"]))
    print("  lines per second     %15s" % "{:,}".format(result["lines_per_second"]))
    print("  lines/second/core    %15s  (target %s: %s)" % (
        "{:,}".format(result["lines_per_second_per_core"]), "{:,}".format(TARGET_LINES_PER_CORE),
        "met" if result["met_lines_target"] else "NOT met"))
    print("  CPU seconds          %15.2f  (%s lines per CPU second)"
          % (cpu, "{:,}".format(result["lines_per_cpu_second"])))
    print("  peak memory          %15.1f MiB this process, %.1f MiB largest worker" % (
        result["peak_rss_mib"], result["peak_worker_rss_mib"]))
    if "met_1m_week_target" in result:
        print("  1M systems, 1 week   %15s  (target: under %d s)" % (
            "met" if result["met_1m_week_target"] else "NOT met", TARGET_SECONDS_1M_WEEK))
    if args.keep:
        print("  output kept in %s" % out)
    return 0
