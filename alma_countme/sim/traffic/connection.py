"""One keep-alive connection of the replay client, an ``asyncio.Protocol``.

Why a Protocol rather than asyncio streams or a task per connection: the
callbacks parse the answers and write the next requests themselves, so a
request costs no task or future, only a timer while it waits to be due (the
module docstring of :mod:`replay` has the measure that chose raw HTTP/1.1).
"""

import asyncio
import collections
import time

from alma_countme.sim.traffic.wire import content_length


class Connection(asyncio.Protocol):
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
            item, self.waiting = self.waiting or replayer.next_due(), None
            if item is None:
                break
            request, due = item
            if due > now:
                if replayer.due_after_the_end(due):
                    break
                self.waiting = item
                self.wake = asyncio.get_running_loop().call_later(due - now, self.fill)
                break
            if replayer.speedup:
                replayer.stats.lag.add(max(0.0, now - due))
            parts.append(request[3])  # its bytes
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
                length = 0 if request[2] or status in (204, 304) else content_length(
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
