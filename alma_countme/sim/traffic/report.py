"""What a replay tells: its final report, and the live status line on the way."""

import sys
import time


def final_report(replayer):
    """The figures of a finished replay (a dict, as --report and --json write it)."""
    stats = replayer.stats
    sim_span = (replayer.last_time - replayer.first_time) if replayer.first_time is not None else 0
    return {
        "target": replayer.target.url,
        "speedup": replayer.speedup if replayer.speedup else "max",
        "connections": replayer.connections,
        "stopped_by": replayer.stopped_by,
        "wall_seconds": round(replayer.elapsed, 3),
        "simulated_seconds": sim_span,
        "first_request_time": replayer.first_time,
        "last_request_time": replayer.last_time,
        "sent": stats.sent,
        "completed": stats.completed,
        "ok": stats.ok,
        "ok_error_status_as_simulated": stats.as_simulated,
        "errors": stats.error_total,
        "errors_by_kind": dict(stats.errors),
        "status": {str(code): count for code, count in sorted(stats.status.items())},
        "rate_per_second": round(stats.completed / replayer.elapsed, 1) if replayer.elapsed else 0.0,
        "peak_rate_per_second": round(stats.peak_rate, 1),
        "latency_ms": stats.latency.summary_ms(),
        "lag_ms": stats.lag.summary_ms() if replayer.speedup else None,
    }


def live_line(replayer, rate, final):
    """One line of live status: rate, latency percentiles of the last second, errors."""
    stats = replayer.stats
    window = stats.latency if final else stats.window
    p = {name: window.percentile(q) for name, q in (("p50", .5), ("p95", .95), ("p99", .99))}
    latency = " ".join("%s %s" % (name, "-" if value is None else "%.1fms" % (1000 * value))
                       for name, value in p.items())
    lag = stats.lag.max if replayer.speedup else 0.0
    return ("%s %6.1fs  sent %s  %s %s/s  %s  errors %s%s" % (
        "done" if final else "replay", time.monotonic() - replayer.start if not final else replayer.elapsed,
        "{:,}".format(stats.sent), "avg" if final else "rate", "{:,.0f}".format(rate), latency,
        "{:,}".format(stats.error_total), "  max lag %.2fs" % lag if replayer.speedup else ""))


def progress_printer(stream=None, interval_lines=10):
    """A progress callback: a rewritten line on a terminal, else a line every ``interval_lines`` seconds."""
    stream = stream or sys.stderr
    tty = stream.isatty()
    ticks = [0]

    def show(replayer, rate, final):
        line = live_line(replayer, rate, final)
        if tty:
            stream.write("\r\x1b[K" + line + ("\n" if final else ""))
        else:
            ticks[0] += 1
            if final or ticks[0] % interval_lines == 0:
                stream.write(line + "\n")
        stream.flush()

    return show
