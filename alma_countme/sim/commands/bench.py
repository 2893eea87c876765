"""countme-sim bench: how fast generate runs here, and how much memory it takes."""

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time

from alma_countme.sim.commands import options

SUMMARY = "measure generation speed (lines per second per core), total time and peak memory"

DESCRIPTION = """\
Run `generate` on the default scenario with --systems systems for --weeks weeks
into a temporary directory (removed afterwards unless --keep), and print:

  lines and bytes written, total (wall) time, lines per second, lines per
  second per core (lines per second / jobs), CPU seconds of the run (this
  process and its workers), and peak memory: the largest resident set of
  this process and of any worker (getrusage).

  the write floor: right after the run, the same number of bytes written to
  one new file in the same directory with one os.write of 8 MiB after the
  other, opened as the log files are (O_DIRECT where the filesystem takes it,
  no fsync in either), and the run's time divided by it. A ratio near 1 means
  the simulator runs at the disk's pace; machines are shared and noisy, so
  compare ratios, not seconds.

  the processor floor: the run's CPU seconds divided by the cores it had
  (the jobs, or the cores available when there are fewer), the shortest the
  run could take with all of them busy throughout; the run's time divided by
  it; and which of the two floors is higher, the disk's or the processors'.
  When it is the processors', only less CPU brings the run nearer the write
  floor.

  the run split where the first log file began: before it, the first week is
  simulated (a file needs the lines of every block, so none can start
  sooner); from it to the end, the log files are written (in longer runs
  while the next weeks simulate), and that part is also given over the floor.

The project's targets on a 2-core machine: at least 1,000,000 lines per second
per core, 1,000,000 systems for one week in under 2 minutes, and the run
within 1.25 times the write floor; bench says whether this run met them."""

EPILOG = """\
examples:
  countme-sim bench                                # 1,000,000 systems, 1 week, all cores
  countme-sim bench --systems 100000 --weeks 2 --jobs 1 --json
  countme-sim bench --gzip                         # the same with ISA-L gzip level 1"""

TARGET_LINES_PER_CORE = 1_000_000
TARGET_SECONDS_1M_WEEK = 120
TARGET_RATIO_TO_FLOOR = 1.25


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
    options.add_compression_options(parser)
    parser.add_argument("--dir", metavar="DIR",
                        help="where to make the temporary output (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the output and print where it is")
    parser.add_argument("--countries", metavar="DB", nargs="?", const="geoip-database",
                        help="with countries: countries.database=DB (default: geoip-database)")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.set_defaults(func=run)
    return parser


def _directory_bytes(path):
    total = 0
    for directory, _, names in os.walk(path):
        for name in names:
            total += os.path.getsize(os.path.join(directory, name))
    return total


def _cpu_seconds():
    """User and system CPU seconds of this process and of its children that have ended."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime


def _higher_floor(processor_floor, write_floor):
    if write_floor and processor_floor > write_floor:
        ratio = processor_floor / write_floor
        return "the processors' floor is the higher, %.2f times the write floor" % ratio
    return "the write floor is the higher"


def run(args):
    from alma_countme.sim.config import scenario
    from alma_countme.sim.generation import engine
    from alma_countme.sim.logs import outfile

    jobs = args.jobs or options.default_jobs()
    compression = options.compression(args)
    assignments = ["population.size=%d" % args.systems, "run.weeks=%d" % args.weeks]
    if args.countries:
        assignments.append("countries.database=%s" % args.countries)
    settings = scenario.load(assignments=assignments)
    if args.dir is not None:
        options.writable_dir(args.dir, "--dir")
    out = tempfile.mkdtemp(prefix="countme-sim-bench-", dir=args.dir)
    try:
        simulation = engine.Run(settings, out, fmt=args.format, jobs=jobs, compression=compression,
                                progress=not args.json and sys.stderr.isatty())
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        _, lines, files = engine.generate(simulation)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before  # the workers have been joined: their time is in RUSAGE_CHILDREN
        size = _directory_bytes(out)
        floor_seconds = outfile.write_floor(os.path.join(out, "write-floor.tmp"), size)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    ratio = round(seconds / floor_seconds, 2) if floor_seconds else None
    processor_floor = cpu / min(jobs, options.default_jobs())
    before_logs = (simulation.first_write_at or simulation.finished_at) - simulation.started_at
    from_logs = simulation.finished_at - (simulation.first_write_at or simulation.finished_at)
    result = {
        "systems": args.systems, "weeks": args.weeks, "jobs": jobs, "format": args.format,
        "compression": None if compression is None else compression.kind,
        "compression_level": None if compression is None else compression.level,
        "countries": args.countries or None,
        "lines": lines, "files": files, "bytes": size, "seconds": round(seconds, 3),
        "write_floor_seconds": round(floor_seconds, 3),
        "write_floor_bytes_per_second": round(size / floor_seconds) if floor_seconds else None,
        "ratio_to_write_floor": ratio,
        "processor_floor_seconds": round(processor_floor, 3),
        "ratio_to_processor_floor": round(seconds / processor_floor, 2) if processor_floor else None,
        "higher_floor": "processors" if processor_floor > floor_seconds else "disk",
        "target_ratio_to_write_floor": TARGET_RATIO_TO_FLOOR,
        "met_ratio_target": ratio is not None and ratio <= TARGET_RATIO_TO_FLOOR,
        "seconds_before_first_log_file": round(before_logs, 3),
        "seconds_from_first_log_file": round(from_logs, 3),
        "ratio_from_first_log_file_to_write_floor": (round(from_logs / floor_seconds, 2) if floor_seconds
                                                     else None),
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
        "" if jobs == 1 else "s", "" if compression is None else ", %r" % compression)
        + (", countries from %s" % args.countries if args.countries else ""))
    print("  lines written        %15s  in %d files, %s bytes"
          % ("{:,}".format(lines), files, "{:,}".format(size)))
    print("  total time           %15.2f s  (tasks of all jobs: simulating %.2f s, writing logs %.2f s)"
          % (seconds, result["simulate_seconds"], result["write_seconds"]))
    print("  write floor          %15.2f s  (the same bytes in 8 MiB writes, %.0f MB/s)"
          % (floor_seconds, size / floor_seconds / 1e6 if floor_seconds else 0))
    print("  lines per second     %15s" % "{:,}".format(result["lines_per_second"]))
    print("  lines/second/core    %15s  (target %s, set for 1,000,000 systems%s: %s)" % (
        "{:,}".format(result["lines_per_second_per_core"]), "{:,}".format(TARGET_LINES_PER_CORE),
        "" if args.systems >= 1_000_000 else "; smaller runs spend more of their time starting up",
        "met" if result["met_lines_target"] else "NOT met"))
    print("  run / write floor    %15.2f  (target %.2f: %s)" % (
        ratio or 0, TARGET_RATIO_TO_FLOOR, "met" if result["met_ratio_target"] else "NOT met"))
    print("  processor floor      %15.2f s  (CPU seconds / cores; run / it: %.2f; %s)" % (
        processor_floor, result["ratio_to_processor_floor"] or 0,
        _higher_floor(processor_floor, floor_seconds)))
    print("  before the first log %15.2f s  (simulating the first week: a file needs every block's lines)"
          % before_logs)
    print("  from it to the end   %15.2f s  (writing the logs; %.2f of the write floor)"
          % (from_logs, result["ratio_from_first_log_file_to_write_floor"] or 0))
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
