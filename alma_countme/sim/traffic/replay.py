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

This module is the stream clock and the run (the Replayer); the other parts
have their own: :mod:`target` (checking the URL), :mod:`wire` (the bytes of a
request and the framing of an answer), :mod:`connection` (the Protocol),
:mod:`stats` (counters and latency histograms), :mod:`report` (the final
report and the live line), :mod:`feeder` (reading a logged stream in a
process of its own) and :mod:`preload` (reading the start of a stream before
the clock starts).
"""

import asyncio
import time

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.traffic.connection import Connection
from alma_countme.sim.traffic.report import final_report
from alma_countme.sim.traffic.stats import Stats

STOP_END = "end of stream"
STOP_MAX = "max requests"
STOP_DURATION = "duration"
STOP_INTERRUPT = "interrupted"


class Replayer:
    """Replays ``requests`` against ``target``: prepared requests (:func:`wire.prepare`) in time order."""

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
        self.stopped_by = None
        self.first_time = None
        self.last_time = None
        self.start = None
        self.elapsed = 0.0
        self.open = set()
        self.all_done = None
        self.stream_error = None  # a SimError reading the stream: the run stops, then raises it

    def next_due(self):
        """The next request and when it is due (monotonic seconds), or None when done."""
        if self.stopped_by:
            return None
        if self.max_requests is not None and self.stats.sent >= self.max_requests:
            self.stopped_by = STOP_MAX
            return None
        try:
            request = next(self.requests, None)
        except SimError as error:  # raised here it would only end the connection that asked
            self.stream_error, request = error, None
        if request is None:
            self.stopped_by = STOP_END
            return None
        when = request[0]  # its simulated time
        if self.first_time is None:
            self.first_time = when
        self.last_time = when
        self.stats.sent += 1
        due = self.start if not self.speedup else self.start + (when - self.first_time) / self.speedup
        return request, due

    def _time_up(self):
        self.stopped_by = self.stopped_by or STOP_DURATION

    def due_after_the_end(self, due):
        """Whether a request due at ``due`` falls after --duration; then it is not sent and the run stops."""
        if self.duration is None or due - self.start < self.duration:
            return False
        self.stats.sent -= 1  # taken from the stream but not sent after all
        self.stopped_by = self.stopped_by or STOP_DURATION
        return True

    def answered(self, request, status, took):
        stats = self.stats
        stats.completed += 1
        stats.status[status] += 1
        stats.pending.append(took)  # counted in the histograms once a second (Stats.flush)
        if status < 400:
            stats.ok += 1
        elif self.sim_headers and status == request[1]:
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
        replacement = Connection(self)
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
            item, connection.waiting = connection.waiting or self.next_due(), None
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
            self.stats.flush()
            if self.progress:
                self.progress(self, rate, False)
            self.stats.window_completed = 0
            last = now

    async def run(self):
        self.start = time.monotonic()
        loop = asyncio.get_running_loop()
        self.all_done = loop.create_future()
        if self.duration is not None:  # a timer, not a clock read per request: next_due is hot
            loop.call_at(self.start + self.duration, self._time_up)
        ticker = asyncio.ensure_future(self._ticker())
        connections = [Connection(self) for _ in range(self.connections)]
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
            self.stats.flush()
        if self.stream_error is not None:
            raise self.stream_error
        if self.progress:
            self.progress(self, self.stats.completed / self.elapsed if self.elapsed else 0.0, True)
        return self

    def report(self):
        return final_report(self)


def _error_name(error):
    if isinstance(error, asyncio.TimeoutError):
        return "timeout"
    return error.strerror or type(error).__name__ if isinstance(error, OSError) else str(error)


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
