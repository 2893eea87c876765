"""What `countme-sim replay` tells a reader at the end of a run, from its report (the dict --json prints).

Apart from commands/replay.py, which is at the size a reader can hold.
"""


def errors_text(errors_by_kind):
    """``1,000 (connect: Connection refused), 3 (timeout)``: each kind with its count, most first
    (a dict on the terminal reads as a program's insides, not as a result)."""
    kinds = sorted(errors_by_kind.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join("{:,} ({})".format(count, kind) for kind, count in kinds)


def summary_line(report):
    """The closing line: why the run stopped, what was sent and answered, how fast, which errors."""
    return "countme-sim replay: %s: %s sent, %s ok, %s errors in %.1f s (%s/s)%s" % (
        report["stopped_by"], "{:,}".format(report["sent"]), "{:,}".format(report["ok"]),
        "{:,}".format(report["errors"]), report["wall_seconds"], "{:,.0f}".format(report["rate_per_second"]),
        "; errors: %s" % errors_text(report["errors_by_kind"]) if report["errors"] else "")
