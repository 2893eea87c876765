"""Sending a simulated request stream to a mirrorlist service over real HTTP.

Why raw HTTP/1.1 on asyncio rather than a client library: every request is a
tiny GET whose exact bytes matter (the request target as the simulated client
sent it, its User-Agent, X-Forwarded-For, the simulated time and status), and
the measure of a replayer is how many requests one core keeps going. A small
``asyncio.Protocol`` per keep-alive connection does one write and one parse
per request, with a future and a timer handle as its only per-request
objects, and needs nothing outside the standard library. Against the same
local ``countme-sim serve`` on this project's 2-core machine it sent about
twice as many requests a second as geventhttpclient (Locust's client, used
by the Locust path) with 64 greenlets, and 2.5 times as many as urllib3 with
16 threads. Responses are read fully (status line, headers, a Content-Length
body; none after HEAD, 204 or 304), so keep-alive stays in step.

Timing: request ``i`` is due at ``start + (time_i - time_0) / speedup`` wall
seconds (speedup None: as fast as possible). Each connection takes the next
request of the shared stream, waits until it is due, sends it and waits for
the answer; a request sent after its due time adds to the reported lag.
"""

import asyncio
import collections
import ipaddress
import math
import socket
import sys
import time
from urllib.parse import urlsplit

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.traffic.server import SIM_STATUS_HEADER, SIM_TIME_HEADER

Target = collections.namedtuple("Target", "host port url addresses")

STOP_END = "end of stream"
STOP_MAX = "max requests"
STOP_DURATION = "duration"
STOP_INTERRUPT = "interrupted"


def check_target(url, allow_remote=False):
    """Parse an ``http://host[:port]`` URL; refuse one that is not on this machine.

    Every address the host resolves to must be a loopback address unless
    ``allow_remote`` is set: a replay is real load on a real service.
    """
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise SimError("--target %s: only http:// targets are supported (put a TLS proxy in front)" % url)
    if not parts.hostname:
        raise SimError("--target %s: no host name" % url)
    if parts.path not in ("", "/") or parts.query:
        raise SimError("--target %s: give the server's root URL; the stream supplies paths" % url)
    try:
        port = parts.port or 80
    except ValueError:
        raise SimError("--target %s: bad port" % url) from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SimError("--target %s: cannot resolve %s: %s" % (url, parts.hostname, error.strerror)) from None
    addresses = sorted({info[4][0] for info in infos})
    remote = [address for address in addresses if not ipaddress.ip_address(address.split("%")[0]).is_loopback]
    if remote and not allow_remote:
        raise SimError(
            "refusing to replay against %s: %s resolves to %s, which is not a loopback address; "
            "a replay is real load on a real service, so pass --allow-remote-target to do it on purpose"
            % (url, parts.hostname, ", ".join(remote))
        )
    return Target(parts.hostname, port, "http://%s:%d" % (parts.hostname, port), addresses)


def encode_request(request, host_header, sim_headers=True):
    """The exact bytes sent for one request."""
    lines = [
        "%s %s HTTP/1.1" % (request.method or "GET", request.target),
        "Host: %s" % host_header,
        "User-Agent: %s" % request.agent,
        "Accept: */*",
    ]
    if request.addr:
        lines.append("X-Forwarded-For: %s" % request.addr)
    if sim_headers:
        lines.append("%s: %d" % (SIM_TIME_HEADER, request.time))
        if request.status:
            lines.append("%s: %d" % (SIM_STATUS_HEADER, request.status))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


class LatencyHistogram:
    """Latencies in buckets 2% wide from 1 microsecond: percentiles within 2%, memory constant."""

    RATIO = 1.02
    FLOOR = 1e-6

    def __init__(self):
        self.counts = collections.Counter()
        self.total = 0
        self.sum = 0.0
        self.max = 0.0

    def add(self, seconds, index=None):
        """Count one latency; ``index`` is its bucket when the caller knows it (:meth:`bucket`)."""
        if index is None:
            index = self.bucket(seconds)
        self.counts[index] += 1
        self.total += 1
        self.sum += seconds
        if seconds > self.max:
            self.max = seconds

    @classmethod
    def bucket(cls, seconds):
        return 0 if seconds <= cls.FLOOR else int(math.log(seconds / cls.FLOOR, cls.RATIO)) + 1

    def merge(self, other):
        self.counts.update(other.counts)
        self.total += other.total
        self.sum += other.sum
        self.max = max(self.max, other.max)

    def percentile(self, fraction):
        """The upper edge of the bucket holding the ``fraction`` quantile (seconds), or None."""
        if not self.total:
            return None
        rank = max(1, math.ceil(fraction * self.total))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                return min(self.max, self.FLOOR * self.RATIO ** index)
        return self.max

    def summary_ms(self):
        if not self.total:
            return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
        result = {name: round(1000 * self.percentile(q), 3) for name, q in (("p50", .5), ("p95", .95),
                                                                            ("p99", .99))}
        result.update(max=round(1000 * self.max, 3), mean=round(1000 * self.sum / self.total, 3))
        return result


class Stats:
    """Counters of one replay; ``window`` holds what the live display shows for the last second."""

    def __init__(self):
        self.sent = 0
        self.completed = 0
        self.ok = 0
        self.as_simulated = 0  # error statuses that are the simulated service's own
        self.status = collections.Counter()
        self.errors = collections.Counter()
        self.latency = LatencyHistogram()
        self.lag = LatencyHistogram()
        self.window = LatencyHistogram()
        self.window_completed = 0
        self.peak_rate = 0.0

    @property
    def error_total(self):
        return sum(self.errors.values())


class _Connection(asyncio.Protocol):
    """One keep-alive connection that takes its next requests from the replayer itself.

    Every callback does all the work there is: the answers that arrived are
    parsed (status line and Content-Length only) and counted, and the requests
    that are due go out in one write. Up to ``depth`` requests are in flight
    (pipelined; HTTP/1.1 answers come back in order), one by default.
    """

    def __init__(self, replayer):
        self.replayer = replayer
        self.transport = None
        self.buffer = b""
        self.in_flight = collections.deque()  # (request, sent_at), oldest first
        self.waiting = None  # a request taken from the stream and not yet due, with its due time
        self.wake = None  # the timer that sends ``waiting``
        self.done = False

    def connection_made(self, transport):
        self.transport = transport
        self.fill()

    def fill(self):
        """Send what is due, up to the pipelining depth; close when the stream is done."""
        self.wake = None
        replayer = self.replayer
        if self.transport is None:
            return
        in_flight = self.in_flight
        room = replayer.depth - len(in_flight)
        parts = []
        now = time.monotonic()
        while room > 0:
            item, self.waiting = self.waiting or replayer._next(), None
            if item is None:
                break
            request, due = item
            if due > now:
                if replayer.duration is not None and due - replayer.start >= replayer.duration:
                    replayer.stats.sent -= 1  # not sent after all: it is due after the end of the run
                    replayer.stopped_by = replayer.stopped_by or STOP_DURATION
                    break
                self.waiting = item
                self.wake = asyncio.get_running_loop().call_later(due - now, self.fill)
                break
            if replayer.speedup:
                replayer.stats.lag.add(max(0.0, now - due))
            parts.append(replayer.encode(request))
            in_flight.append((request, now))
            room -= 1
        if parts:
            self.transport.write(parts[0] if len(parts) == 1 else b"".join(parts))
        elif not in_flight and self.waiting is None:
            self.close()

    def data_received(self, data):
        buffer = self.buffer + data if self.buffer else data
        position = 0
        finished = 0
        stats = self.replayer.stats
        while self.in_flight:
            end = buffer.find(b"\r\n\r\n", position)
            if end < 0:
                break
            request = self.in_flight[0][0]
            try:
                status = int(buffer[position + 9:position + 12])
                # No body after HEAD, 204 and 304 whatever Content-Length says (RFC 9112 6.3).
                length = 0 if request.method == "HEAD" or status in (204, 304) else _content_length(
                    buffer[position:end])
            except ValueError:
                self.fail("bad response")
                return
            if len(buffer) < end + 4 + length:
                break
            position = end + 4 + length
            request, sent_at = self.in_flight.popleft()
            self.replayer.answered(request, status, time.monotonic() - sent_at)
            finished += 1
        self.buffer = buffer[position:]
        if finished:
            stats.window_completed += finished
            self.fill()

    def fail(self, error):
        """Count every request in flight as failed with ``error`` and drop the connection."""
        stats = self.replayer.stats
        while self.in_flight:
            self.in_flight.popleft()
            stats.completed += 1
            stats.errors[error] += 1
        if self.transport is not None:
            transport, self.transport = self.transport, None
            transport.close()
        self.replayer.reconnect(self)

    def expire(self, now, timeout):
        if self.in_flight and now - self.in_flight[0][1] > timeout:
            self.fail("timeout")

    def close(self):
        if self.wake is not None:
            self.wake.cancel()
            self.wake = None
        if self.transport is not None:
            transport, self.transport = self.transport, None
            transport.close()
        if not self.done:
            self.done = True
            self.replayer.finished(self)

    def connection_lost(self, exc):
        if self.transport is not None:
            self.transport = None
            self.fail("connection closed")


def _content_length(head):
    index = head.find(b"\r\nContent-Length:")  # as most servers spell it; any case is allowed
    if index < 0:
        index = head.lower().find(b"\r\ncontent-length:")
    if index < 0:
        raise ValueError("no Content-Length")  # this client relies on it for keep-alive
    end = head.find(b"\r\n", index + 2)
    return int(head[index + 17:end if end > 0 else None])


class Replayer:
    """Replays ``requests`` (an iterable of StreamRequest in time order) against ``target``."""

    def __init__(self, target, requests, speedup=None, connections=64, max_requests=None, duration=None,
                 timeout=10.0, sim_headers=True, progress=None, pipeline=1):
        self.target = target
        self.requests = iter(requests)
        self.speedup = speedup
        self.connections = connections
        self.depth = pipeline
        self.max_requests = max_requests
        self.duration = duration
        self.timeout = timeout
        self.sim_headers = sim_headers
        self.progress = progress  # called with (replayer, rate, final) about once a second
        self.stats = Stats()
        self.host_header = target.host if target.port == 80 else "%s:%d" % (target.host, target.port)
        if ":" in target.host:
            self.host_header = "[%s]:%d" % (target.host, target.port)
        self.stopped_by = None
        self.first_time = None
        self.last_time = None
        self.start = None
        self.elapsed = 0.0
        self.open = set()
        self.all_done = None

    def encode(self, request):
        return encode_request(request, self.host_header, self.sim_headers)

    def _next(self):
        """The next request and when it is due (monotonic seconds), or None when done."""
        if self.stopped_by:
            return None
        if self.max_requests is not None and self.stats.sent >= self.max_requests:
            self.stopped_by = STOP_MAX
            return None
        if self.duration is not None and time.monotonic() - self.start >= self.duration:
            self.stopped_by = STOP_DURATION
            return None
        request = next(self.requests, None)
        if request is None:
            self.stopped_by = STOP_END
            return None
        if self.first_time is None:
            self.first_time = request.time
        self.last_time = request.time
        self.stats.sent += 1
        due = self.start if not self.speedup else self.start + (request.time - self.first_time) / self.speedup
        return request, due

    def answered(self, request, status, took):
        stats = self.stats
        stats.completed += 1
        stats.status[status] += 1
        bucket = LatencyHistogram.bucket(took)
        stats.latency.add(took, bucket)
        stats.window.add(took, bucket)
        if status < 400:
            stats.ok += 1
        elif self.sim_headers and status == request.status:
            stats.ok += 1
            stats.as_simulated += 1
        else:
            stats.errors["http %d" % status] += 1

    def finished(self, connection):
        self.open.discard(connection)
        if not self.open and not self.all_done.done():
            self.all_done.set_result(None)

    def reconnect(self, connection):
        """A connection failed: carry on with a new one unless the run is over."""
        self.open.discard(connection)
        connection.done = True
        if self.stopped_by and connection.waiting is None:
            if not self.open and not self.all_done.done():
                self.all_done.set_result(None)
            return
        replacement = _Connection(self)
        replacement.waiting, connection.waiting = connection.waiting, None
        if connection.wake is not None:
            connection.wake.cancel()
        self.open.add(replacement)
        asyncio.ensure_future(self._connect(replacement))

    async def _connect(self, connection, pause=0.0):
        if pause:
            await asyncio.sleep(pause)
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.create_connection(lambda: connection, self.target.host,
                                                          self.target.port), self.timeout)
        except (OSError, asyncio.TimeoutError) as error:
            # The request it was to carry is lost with it, as its client's would be.
            item, connection.waiting = connection.waiting or self._next(), None
            if item is not None:
                self.stats.errors["connect: %s" % _error_name(error)] += 1
                self.stats.completed += 1
            if self.stopped_by:
                self.finished(connection)
                return
            asyncio.ensure_future(self._connect(connection, 0.05))

    async def _ticker(self):
        last = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for connection in list(self.open):
                connection.expire(now, self.timeout)
            rate = self.stats.window_completed / (now - last) if now > last else 0.0
            self.stats.peak_rate = max(self.stats.peak_rate, rate)
            if self.progress:
                self.progress(self, rate, False)
            self.stats.window = LatencyHistogram()
            self.stats.window_completed = 0
            last = now

    async def run(self):
        self.start = time.monotonic()
        self.all_done = asyncio.get_running_loop().create_future()
        ticker = asyncio.ensure_future(self._ticker())
        connections = [_Connection(self) for _ in range(self.connections)]
        self.open.update(connections)
        for connection in connections:
            asyncio.ensure_future(self._connect(connection))
        try:
            await self.all_done
        except asyncio.CancelledError:
            self.stopped_by = STOP_INTERRUPT
        finally:
            ticker.cancel()
            for connection in list(self.open):
                if connection.transport is not None:
                    connection.transport.close()
            self.elapsed = time.monotonic() - self.start
        if self.progress:
            self.progress(self, self.stats.completed / self.elapsed if self.elapsed else 0.0, True)
        return self

    def report(self):
        stats = self.stats
        sim_span = (self.last_time - self.first_time) if self.first_time is not None else 0
        return {
            "target": self.target.url,
            "speedup": self.speedup if self.speedup else "max",
            "connections": self.connections,
            "stopped_by": self.stopped_by,
            "wall_seconds": round(self.elapsed, 3),
            "simulated_seconds": sim_span,
            "first_request_time": self.first_time,
            "last_request_time": self.last_time,
            "sent": stats.sent,
            "completed": stats.completed,
            "ok": stats.ok,
            "ok_error_status_as_simulated": stats.as_simulated,
            "errors": stats.error_total,
            "errors_by_kind": dict(stats.errors),
            "status": {str(code): count for code, count in sorted(stats.status.items())},
            "rate_per_second": round(stats.completed / self.elapsed, 1) if self.elapsed else 0.0,
            "peak_rate_per_second": round(stats.peak_rate, 1),
            "latency_ms": stats.latency.summary_ms(),
            "lag_ms": stats.lag.summary_ms() if self.speedup else None,
        }


def _error_name(error):
    if isinstance(error, asyncio.TimeoutError):
        return "timeout"
    return error.strerror or type(error).__name__ if isinstance(error, OSError) else str(error)


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


def replay(target, requests, **options):
    """Run a replay to the end and return the Replayer (``.report()`` has the figures).

    The event loop is uvloop's where it is installed (its loop and transports are C, which
    leaves the per-request Python work to this module), else asyncio's own."""
    replayer = Replayer(target, requests, **options)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(replayer.run())
    if hasattr(asyncio, "Runner"):  # Python 3.11: Ctrl-C cancels the run, which then reports
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(replayer.run())
    loop = uvloop.new_event_loop()
    try:
        return loop.run_until_complete(replayer.run())
    finally:
        loop.close()
