"""CPU seconds spent by this process (with the children it has waited for) and by another process.

For benchmarks that share a machine between a client and a server: the CPU a
phase cost each side tells which one limits the rate, whatever the wall clock.
"""

import os
import resource


def own_seconds():
    """User and system CPU seconds of this process and of every child it has waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def process_seconds(pid):
    """User and system CPU seconds of the running process ``pid`` so far (from /proc), or None
    where /proc cannot tell (not Linux, or the process is gone)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: the fields counted here follow it.
    fields = text[text.rindex(")") + 2:].split()
    try:
        ticks = int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of proc(5)
    except (IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU seconds of this process (with its waited-for children) and of ``pid`` between start()
    and stop(); ``per_request(count)`` gives them in microseconds per request."""

    def __init__(self, pid):
        self.pid = pid
        self.mine = self.theirs = None
        self._start = None

    def start(self):
        self._start = (own_seconds(), process_seconds(self.pid))
        return self

    def stop(self):
        mine, theirs = self._start
        self.mine = own_seconds() - mine
        now = process_seconds(self.pid)
        self.theirs = None if theirs is None or now is None else now - theirs
        return self

    def per_request(self, count):
        """(this side's, the other process's) microseconds of CPU per request; None where unknown."""
        if not count:
            return None, None
        return (round(self.mine / count * 1e6, 1),
                None if self.theirs is None else round(self.theirs / count * 1e6, 1))
