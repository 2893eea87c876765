"""countme-sim replay: send a simulated request stream to a mirrorlist service over HTTP."""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

from alma_countme.sim.commands import options

DEFAULT_PRELOAD = 1_000_000  # requests of a STREAM read ahead at --speedup max: about 400 MB
SUMMARY = "send a simulated request stream to a mirrorlist service over HTTP (load replay)"

DESCRIPTION = """\
Send the requests of a simulated stream (the logs `countme-sim generate` wrote)
to a mirrorlist service over real HTTP/1.1 keep-alive connections, each with its
simulated client's User-Agent and its address in X-Forwarded-For, plus the
simulated time and status in X-Countme-Sim-Time and X-Countme-Sim-Status (which
`countme-sim serve --sim-headers` plays back; other servers ignore them).

Timing: --speedup 1 replays in real time, --speedup 600 makes a week last 17
minutes, --speedup max sends as fast as the connections allow. The run stops at
the end of the stream, after --max-requests or after --duration seconds.
At --speedup max the stream's first %s requests (fewer if a quarter of
the available memory holds fewer; about 400 bytes each) are read into memory
before the first is sent, so that reading the logs does not take the cores
from sending; the rest follows as it is read. --preload N sets how many.
Shows the live rate, latency percentiles and errors (every second on a
terminal, every 10 s otherwise) and writes a JSON report with --report.

A target that is not a loopback address is refused unless you pass
--allow-remote-target: a replay is real load on a real service.

--bench measures the highest sustained rate this machine reaches: it starts
`countme-sim serve` on a free local port and warms it up for 2 s with a
reference client (wrk -t1 with the same connections when wrk is installed, else
a minimal fixed raw-socket client) sending the replay's own first 50,000 GET
requests round and round, so that the server does the same work for both,
measures the reference for half of --duration (default 10 s), replays at full
speed for --duration, using the stream if given (read ahead as at --speedup
max), else a synthetic one, measures the reference for the other half, and
prints the replay's rate over the reference's mean and the CPU each side
(client, server) spent per request in both. For more load than one machine
makes, use the Locust file (--locustfile-path prints where it is).

Exit status: 0 when every request got an answer that is not an error (or is
the very error status the simulated service gave), 1 otherwise, 2 on bad input.""" % "{:,}".format(
    DEFAULT_PRELOAD)

EPILOG = """\
examples:
  countme-sim replay out/ --target http://127.0.0.1:8080 --speedup 20000 --report replay.json
  countme-sim replay out/logs/mirror1 --speedup max --max-requests 100000 --connections 128
  countme-sim replay --bench --duration 15
  locust -f "$(countme-sim replay --locustfile-path)" --headless -H http://127.0.0.1:8080 --stream out/"""

SERVE_READY = re.compile(r"listening on (http://\S+)")
BENCH_WARM_UP_SECONDS = 2
REFERENCE_REQUESTS = 50_000  # about 12 MB, read in a fraction of a second: enough of the stream's mix


def register(subparsers):
    parser = subparsers.add_parser(
        "replay", help=SUMMARY, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("stream", nargs="*", metavar="STREAM",
                        help="generate's output directory, or log files or directories to replay")
    parser.add_argument("--target", default="http://127.0.0.1:8080", metavar="URL",
                        help="the mirrorlist service's root URL (default: %(default)s)")
    parser.add_argument("--allow-remote-target", action="store_true",
                        help="allow a target that is not a loopback address")
    parser.add_argument("--speedup", type=_speedup, default=1.0, metavar="X|max",
                        help="stream time / wall time; max (or 0) sends as fast as possible "
                             "(default: 1, real time)")
    parser.add_argument("--connections", type=options.positive, default=64, metavar="N",
                        help="keep-alive connections (default: %(default)s)")
    parser.add_argument("--pipeline", type=options.whole_number(1, 1000), default=1, metavar="N",
                        help="requests in flight on each connection (HTTP/1.1 pipelining; the server must "
                             "answer in order, as countme-sim serve does) (default: %(default)s)")
    parser.add_argument("--max-requests", type=options.positive, metavar="N", help="stop after N requests")
    parser.add_argument("--preload", type=options.whole_number(0), metavar="N",
                        help="read the stream's first N requests into memory before the first is sent "
                             "(about 400 bytes each), so that reading does not compete with sending; the "
                             "rest follows as it is read; 0: none (default: %s, or what a quarter of the "
                             "available memory holds, when a STREAM is sent at --speedup max or "
                             "--bench; else 0)" % "{:,}".format(DEFAULT_PRELOAD))
    parser.add_argument("--duration", type=options.positive_number, metavar="SECONDS",
                        help="stop after this many wall-clock seconds")
    parser.add_argument("--timeout", type=options.positive_number, default=10.0, metavar="SECONDS",
                        help="per-request timeout (default: %(default)s)")
    parser.add_argument("--no-sim-headers", dest="sim_headers", action="store_false",
                        help="do not send X-Countme-Sim-Time and X-Countme-Sim-Status")
    parser.add_argument("--report", metavar="FILE", help="write the final report (JSON) to FILE")
    parser.add_argument("--json", action="store_true",
                        help="print the final report (JSON) on standard output")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing but errors: no start line, live status or closing summary "
                             "(--json and --report still give the report)")
    parser.add_argument("--bench", action="store_true",
                        help="measure the top sustained rate against a local `countme-sim serve`, and "
                             "wrk's (or a fixed client's) on it in the same run")
    parser.add_argument("--bench-log", metavar="FILE", default=os.devnull,
                        help="with --bench: the server's access log (default: none, /dev/null)")
    parser.add_argument("--locustfile-path", action="store_true",
                        help="print the path of the Locust file (shards the stream over Locust workers)"
                             " and exit")
    parser.set_defaults(func=run)
    return parser


def _speedup(text):
    if text.strip().lower() in ("max", "0"):
        return None
    return options.positive_number(text)


def run(args):
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.traffic.target import check_target

    if args.locustfile_path:
        from importlib.util import find_spec

        print(find_spec("alma_countme.sim.traffic.locustfile").origin)
        return 0
    if args.bench:
        return _bench(args)
    if not args.stream:
        raise SimError("replay: name the stream to send (generate's output directory or log files)")
    target = check_target(args.target, args.allow_remote_target)
    _check_report_path(args)
    _check_stream(args.stream)
    return _replay(args, target)


def _check_report_path(args):
    """Before any request: a report that cannot be written would be lost after the whole replay."""
    if args.report:
        options.writable_file(args.report, "--report")


def _check_stream(paths):
    """Fail now, before any connection, if there is nothing to send."""
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.logs import logsource

    for path in paths:
        if "://" in path and not os.path.exists(path):
            raise SimError("replay: %s is a URL, not a stream: the service goes in --target "
                           "(countme-sim replay STREAM --target %s)" % (path, path))
    logsource.log_files(paths)


def _prepared(args, target):
    """What the connections send, as a context manager: the stream's requests read and encoded
    by a feeder process (so the client's core is left to HTTP), or, for --bench without a
    stream, the synthetic stream encoded here (that costs little)."""
    import contextlib

    from alma_countme.sim.traffic import feeder, synthetic, wire
    from alma_countme.sim.traffic.target import host_header

    if args.stream:
        return feeder.Feed(args.stream, host_header(target), args.sim_headers,
                           lowest_priority=args.speedup is None)
    return contextlib.nullcontext(wire.prepare(synthetic.stream(), host_header(target), args.sim_headers))


def _replay(args, target, finish=None):
    """Replay and report; ``finish(report)``, when given, returns what --bench adds as "bench"."""
    report = _run_replay(args, target)
    if report is None:
        return 130
    if finish is not None:
        report["bench"] = finish(report)
    _report(args, report)
    return 0 if report["errors"] == 0 else 1


def _run_replay(args, target):
    """The replay's report, or None when interrupted."""
    from alma_countme.sim.traffic import replay
    from alma_countme.sim.traffic.report import progress_printer

    progress = None if args.quiet else progress_printer()
    if not args.quiet:
        speed = "as fast as possible" if args.speedup is None else "speedup %g" % args.speedup
        print("countme-sim replay: %s, %d connections, %s" % (target.url, args.connections, speed),
              file=sys.stderr, flush=True)
    try:
        with _prepared(args, target) as requests:
            requests, preloaded = _preload(args, requests)
            replayer = replay.replay(
                target, requests, speedup=args.speedup, connections=args.connections,
                max_requests=args.max_requests, duration=args.duration, timeout=args.timeout,
                sim_headers=args.sim_headers, progress=progress, pipeline=args.pipeline)
    except KeyboardInterrupt:
        print("countme-sim replay: interrupted", file=sys.stderr)
        return None
    report = replayer.report()
    report["preload"] = preloaded
    return report


def _preload(args, requests):
    """(the requests, the first --preload of them read now; what preload.preload tells of it)."""
    from alma_countme.sim.traffic.preload import affordable, preload

    count = args.preload
    if count is None:  # the synthetic stream of --bench is made here at little cost: nothing to gain
        count = affordable(DEFAULT_PRELOAD) if args.speedup is None and args.stream else 0
    count = min(count, args.max_requests or count)
    say = (lambda text: None) if args.quiet or not count else (
        lambda text: print("countme-sim replay: " + text, file=sys.stderr, flush=True))
    say("reading up to %s requests ahead" % "{:,}".format(count))
    requests, preloaded = preload(iter(requests), count)
    say("read %s requests ahead in %.1f s%s" % (
        "{:,}".format(preloaded["requests"]), preloaded["seconds"],
        "" if preloaded["resident_mib"] is None else " (%.0f MiB)" % preloaded["resident_mib"]))
    return requests, preloaded


def _report(args, report):
    reference = report.get("bench", {}).get("reference_rate_per_second")
    if reference:
        report["bench"]["ratio_to_reference"] = round(report["rate_per_second"] / reference, 2)
    if args.report:
        _write_json(args.report, report)
    if args.json:
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    elif not args.quiet:
        from alma_countme.sim.reports.replay_text import summary_line

        print(summary_line(report), file=sys.stderr)
        if reference:
            print("countme-sim replay --bench: replay / reference: %.2f (%s against %s requests/s)" % (
                report["bench"]["ratio_to_reference"], "{:,.0f}".format(report["rate_per_second"]),
                "{:,.0f}".format(reference)), file=sys.stderr)
            cpu = report["bench"].get("cpu_microseconds_per_request")
            if cpu:
                figures = tuple("-" if cpu[key] is None else "%.1f us" % cpu[key] for key in (
                    "replay_client", "server_during_replay", "reference_client", "server_during_reference"))
                print("countme-sim replay --bench: CPU per request: replay client %s%s, server %s; "
                      "reference client %s, server %s" % (
                          figures[0], " (with its feeder)" if args.stream else "", *figures[1:]),
                      file=sys.stderr)


def _write_json(path, data):
    """Atomically: a reader never sees half a report."""
    temporary = "%s.tmp-%d" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def _bench(args):
    from alma_countme.sim.common import cputime
    from alma_countme.sim.common.errors import SimError
    from alma_countme.sim.traffic.target import check_target

    if args.duration is None and args.max_requests is None:
        args.duration = 10.0
    args.speedup = None
    _check_report_path(args)
    if args.stream:
        _check_stream(args.stream)
    server = subprocess.Popen(
        # --sim-headers: the server answers what the simulated service answered, so a
        # simulated 404 or 503 is not counted as an error of the run.
        [sys.executable, "-m", "alma_countme.sim", "serve", "--port", "0", "--sim-headers",
         "--log", args.bench_log],
        stderr=subprocess.PIPE, text=True)
    try:
        url = _wait_ready(server)
        target = check_target(url)
        # A new server answers slower for its first seconds, and the rates drift as a run goes
        # on: warm it up, then take the reference for half the time before the replay and half
        # after, so that both see the same server on average.
        requests = _reference_requests(args, target)
        name, _ = _reference(target, args, requests, BENCH_WARM_UP_SECONDS, "warm-up")
        half = max(1, math.ceil((args.duration or 10.0) / 2))  # whole seconds: wrk takes no fractions
        reference_cpu = [cputime.Meter(server.pid).start()]
        _, before = _reference(target, args, requests, half, "reference before the replay")
        reference_cpu[0].stop()
        bench = {"server": "countme-sim serve --sim-headers (one asyncio process)",
                 "server_log": args.bench_log, "cpus": os.cpu_count(), "client_processes": 1,
                 "pipeline": args.pipeline, "reference": name, "warm_up_seconds": BENCH_WARM_UP_SECONDS,
                 "reference_before_per_second": round(before, 1)}
        replay_cpu = cputime.Meter(server.pid)

        def measure_after(report):
            replay_cpu.stop()
            reference_cpu.append(cputime.Meter(server.pid).start())
            _, after = _reference(target, args, requests, half, "reference after the replay")
            reference_cpu[1].stop()
            bench.update(reference_after_per_second=round(after, 1),
                         reference_rate_per_second=round((before + after) / 2, 1))
            bench["cpu_microseconds_per_request"] = _cpu_per_request(
                replay_cpu, report["completed"], reference_cpu, (before + after) * half)
            return bench

        replay_cpu.start()
        status = _replay(args, target, finish=measure_after)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if server.returncode not in (0, -15):
        raise SimError("replay --bench: the server exited with status %s" % server.returncode)
    return status


def _cpu_per_request(replay_cpu, replayed, reference_cpu, referenced):
    """Microseconds of CPU per request of each side in the replay and in the reference runs
    (the reference's requests estimated from its rates), so that the report shows which side
    the two cores ran out on."""
    client, server = replay_cpu.per_request(replayed)
    mine = sum(meter.mine for meter in reference_cpu)
    theirs = [meter.theirs for meter in reference_cpu]
    count = max(1.0, referenced)
    return {"replay_client": client, "server_during_replay": server,
            "reference_client": round(mine / count * 1e6, 1),
            "server_during_reference": None if None in theirs else round(sum(theirs) / count * 1e6, 1)}


def _reference_requests(args, target):
    """What the reference sends: the first REFERENCE_REQUESTS GET requests of what the replay
    sends (the stream's, or the synthetic stream's), encoded for ``target`` as the replay
    encodes them, so that the server does the same work for both."""
    import itertools

    from alma_countme.sim.traffic import feeder, synthetic, wire
    from alma_countme.sim.traffic.target import host_header

    if args.stream:
        prepared = feeder.prepared_stream(args.stream, host_header(target), args.sim_headers)
    else:
        prepared = wire.prepare(synthetic.stream(), host_header(target), args.sim_headers)
    requests = [request[3] for request in itertools.islice(
        (request for request in prepared if not request[2]), REFERENCE_REQUESTS)]
    if not requests:
        from alma_countme.sim.common.errors import SimError

        raise SimError("replay --bench: the stream has no GET request for the reference to send")
    return requests


def _reference(target, args, requests, seconds, purpose):
    """(name, requests/s) of wrk (or, without wrk, the minimal fixed client) on the same server
    with the same connections for ``seconds``, sending ``requests`` round and round."""
    from alma_countme.sim.traffic import fixedclient

    cycled = "the replay's first %s GET requests, round and round" % "{:,}".format(len(requests))
    if fixedclient.wrk_path():
        name = "wrk -t1 -c%d (%s)" % (args.connections, cycled)
        rate = fixedclient.wrk_rate(target.url, requests, args.connections, seconds)
    else:
        name = "fixed raw-socket client, one process (wrk is not installed; %s)" % cycled
        rate = fixedclient.fixed_rate(target.host, target.port, requests, args.connections, seconds)
    if not args.quiet:
        print("countme-sim replay --bench: %s, %g s: %s: %s requests/s" % (
            purpose, seconds, name, "{:,.0f}".format(rate)), file=sys.stderr, flush=True)
    return name, rate


def _wait_ready(server, timeout=30.0):
    from alma_countme.sim.common.errors import SimError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        if not line:
            break
        match = SERVE_READY.search(line)
        if match:
            return match.group(1)
    raise SimError("replay --bench: `countme-sim serve` did not start (exit status %s)" % server.poll())
