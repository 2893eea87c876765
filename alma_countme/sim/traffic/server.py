"""A small, fast mirrorlist server for tests and demos, with an access log.

It answers what dnf asks a mirror service for:

- ``/mirrorlist/<releasever>/<repo>`` (AlmaLinux): a list of mirror URLs;
- ``/mirrorlist?repo=R&arch=A``: the same, Fedora/MirrorManager style;
- ``/metalink?repo=R&arch=A``: a small metalink document;

and 404 for anything else. It speaks HTTP/1.1 with keep-alive (and pipelined
requests) on asyncio, one process, so one core serves some thousands of
requests a second.

Each request is logged like the real services log it:

- ``almalinux``: AlmaLinux's nginx format,
  ``XFF - - [TIME] "REQUEST" STATUS BYTES "REFERER" "USER_AGENT" "REMOTE_ADDR"``,
  where XFF is the first address of X-Forwarded-For (``-`` without one);
- ``fedora``: Combined Log Format, whose first field is the client: the first
  X-Forwarded-For address when there is one (as a proxy-aware server logs
  it), else the peer address.

Quotes, backslashes and control characters in logged strings are written as
``\\xHH``, as nginx does.

With ``sim_headers``, the server plays the simulated service back: the logged
time is the one a replayed request carries in ``X-Countme-Sim-Time`` (epoch
seconds), so a compressed replay of simulated weeks lands in the right weeks
of the log, and the answer's status is the one in ``X-Countme-Sim-Status``
(the simulated service's 503s, 404s and 499s), so the log counts as the
simulated one does. Requests without them get the wall clock and the real
answer.
"""

import asyncio
import contextlib
import http
import os
import signal
import sys
import time
from urllib.parse import parse_qsl

SIM_TIME_HEADER = "X-Countme-Sim-Time"
SIM_STATUS_HEADER = "X-Countme-Sim-Status"
FORMATS = ("almalinux", "fedora")
MAX_HEADER_BYTES = 65536
FLUSH_SECONDS = 0.5
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MIRRORS = ("https://mirror1.example.org/almalinux", "https://mirror2.example.org/almalinux",
           "https://mirror3.example.org/pub/almalinux")

_REASONS = {status.value: status.phrase.encode() for status in http.HTTPStatus}
_REASONS[499] = b"Client Closed Request"  # nginx's own code, which a simulated log may hold
_SIM_TIME = SIM_TIME_HEADER.lower().encode()
_SIM_STATUS = SIM_STATUS_HEADER.lower().encode()
_SAFE = frozenset(range(0x20, 0x7f)) - {ord('"'), ord("\\")}


def log_time(seconds, _cache={}):  # noqa: B006 - a per-second cache of the formatted time
    text = _cache.get(seconds)
    if text is None:
        tm = time.gmtime(seconds)
        text = "%02d/%s/%04d:%02d:%02d:%02d +0000" % (tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year,
                                                      tm.tm_hour, tm.tm_min, tm.tm_sec)
        if len(_cache) > 4096:
            _cache.clear()
        _cache[seconds] = text
    return text


def escape(raw):
    """A logged string from raw bytes: printable ASCII kept, the rest as ``\\xHH`` (nginx's way)."""
    if all(byte in _SAFE for byte in raw):
        return raw.decode("ascii")
    return "".join(chr(byte) if byte in _SAFE else "\\x%02X" % byte for byte in raw)


def _arch_from_agent(agent):
    """basearch from ``libdnf (NAME VER; VARIANT; Linux.ARCH)``, else x86_64."""
    dot = agent.rfind(b".")
    if agent.startswith(b"libdnf (") and agent.endswith(b")") and dot > 0:
        return agent[dot + 1:-1].decode("ascii", "replace")
    return "x86_64"


class Responder:
    """Response bodies for request targets, cached: the same few are asked again and again."""

    def __init__(self):
        self._cache = {}

    def respond(self, target, agent):
        """``(status, content_type, body)`` for a request target (path and query, bytes)."""
        path, _, query = target.partition(b"?")
        key = (path, query, _arch_from_agent(agent) if path.startswith(b"/mirrorlist/") else "")
        found = self._cache.get(key)
        if found is None:
            found = self._make(path.decode("ascii", "replace"), query.decode("ascii", "replace"), key[2])
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _make(self, path, query, agent_arch):
        params = dict(parse_qsl(query))
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "mirrorlist":
            release, repo, arch = parts[1], parts[2], params.get("arch", agent_arch)
            return 200, b"text/plain", _mirrorlist(release, repo, arch)
        if path in ("/mirrorlist", "/metalink") and "repo" in params:
            repo, arch = params["repo"], params.get("arch", "x86_64")
            if path == "/mirrorlist":
                return 200, b"text/plain", _mirrorlist("", repo, arch)
            return 200, b"application/metalink+xml", _metalink(repo, arch)
        return 404, b"text/plain", b"not found\n"


def _mirrorlist(release, repo, arch):
    lines = ["# mirrorlist for %s %s %s" % (repo, release, arch)]
    for mirror in MIRRORS:
        if release:
            lines.append("%s/%s/%s/%s/os/" % (mirror, release, repo, arch))
        else:
            lines.append("%s/%s/%s/os/" % (mirror, repo, arch))
    return ("\n".join(lines) + "\n").encode("utf-8", "replace")


def _metalink(repo, arch):
    urls = "".join('   <url protocol="https" type="https" location="XX" preference="%d">%s/%s/%s/os/'
                   "repodata/repomd.xml</url>\n" % (100 - index, mirror, repo, arch)
                   for index, mirror in enumerate(MIRRORS))
    text = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<metalink version="3.0" xmlns="http://www.metalinker.org/">\n'
            ' <files>\n  <file name="repomd.xml">\n   <resources maxconnections="1">\n'
            "%s   </resources>\n  </file>\n </files>\n</metalink>\n" % urls)
    return text.encode("utf-8", "replace")


class AccessLog:
    """Buffered access-log writer: lines go out every FLUSH_SECONDS and on close."""

    def __init__(self, path, fmt="almalinux", sim_time=False):
        if fmt not in FORMATS:
            raise ValueError("log format %r (choose from %s)" % (fmt, ", ".join(FORMATS)))
        self.fmt, self.sim_time, self.path = fmt, sim_time, path
        self._lines = []
        if path in (None, "-"):
            self._stream = sys.stdout
        elif path == os.devnull:
            self._stream = None
        else:
            self._stream = open(path, "a", encoding="ascii", buffering=1 << 20)  # noqa: SIM115 - closed by close()

    def write(self, peer, xff, sim_time, request_line, status, size, referer, agent):
        if self._stream is None:
            return
        when = int(time.time())
        if self.sim_time and sim_time:
            with contextlib.suppress(ValueError):
                when = int(sim_time)
        first = xff.split(b",", 1)[0].strip() if xff else b""
        if self.fmt == "almalinux":
            line = '%s - - [%s] "%s" %d %d "%s" "%s" "%s"\n' % (
                escape(first) if first else "-", log_time(when), escape(request_line), status, size,
                escape(referer) if referer else "-", escape(agent) if agent else "-", peer)
        else:
            line = '%s - - [%s] "%s" %d %d "%s" "%s"\n' % (
                escape(first) if first else peer, log_time(when), escape(request_line), status, size,
                escape(referer) if referer else "-", escape(agent) if agent else "-")
        self._lines.append(line)

    def flush(self):
        if self._lines and self._stream is not None:
            self._stream.write("".join(self._lines))
            self._stream.flush()
        self._lines = []

    def close(self):
        self.flush()
        if self._stream not in (None, sys.stdout):
            self._stream.close()


class HttpProtocol(asyncio.Protocol):
    """One client connection: parses pipelined HTTP/1.x requests and answers them in order."""

    def __init__(self, server):
        self.server = server
        self.buffer = b""
        self.transport = None
        self.peer = "-"

    def connection_made(self, transport):
        self.transport = transport
        self.server.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"

    def data_received(self, data):
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._fail(431)
                return
            head, rest = self.buffer[:end], self.buffer[end + 4:]
            keep = self._handle(head, rest)
            if keep is None:  # waiting for the rest of a body
                return
            if not keep:
                self.transport.close()
                self.transport = None
                return

    def _handle(self, head, rest):
        lines = head.split(b"\r\n")
        request_line = lines[0]
        parts = request_line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self.buffer = b""
            self._fail(400, request_line)
            return False
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                self.buffer = b""
                self._fail(400, request_line)
                return False
            headers[name.strip().lower()] = value.strip()
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or b"transfer-encoding" in headers:
            self.buffer = b""
            self._fail(400, request_line)
            return False
        length = int(length)
        if len(rest) < length:
            return None
        self.buffer = rest[length:]
        connection = headers.get(b"connection", b"").lower()
        keep = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"
        agent = headers.get(b"user-agent", b"")
        if method in (b"GET", b"HEAD"):
            status, content_type, body = self.server.responder.respond(target, agent)
        else:
            status, content_type, body = 405, b"text/plain", b"method not allowed\n"
        if self.server.sim_headers and _SIM_STATUS in headers:
            wanted = _simulated_status(headers[_SIM_STATUS])
            if wanted and wanted != status:
                status, content_type, body = wanted, b"text/plain", b"simulated %d\n" % wanted
        sent = 0 if method == b"HEAD" else len(body)
        self.transport.write(b"".join((
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n" % (
                status, _REASONS[status], content_type, len(body)),
            b"Connection: keep-alive\r\n\r\n" if keep else b"Connection: close\r\n\r\n",
            body if sent else b"",
        )))
        self.server.requests += 1
        self.server.log.write(self.peer, headers.get(b"x-forwarded-for"), headers.get(_SIM_TIME),
                              request_line, status, sent, headers.get(b"referer"), agent)
        return keep

    def _fail(self, status, request_line=b"-"):
        body = _REASONS[status] + b"\n"
        if self.transport is not None:
            self.transport.write(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                                 % (status, _REASONS[status], len(body), body))
            self.server.log.write(self.peer, None, None, request_line, status, len(body), None, None)
            self.server.requests += 1
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc):
        self.transport = None
        self.server.connections.discard(self)


def _simulated_status(value):
    """The status asked for in X-Countme-Sim-Status, or None when it is not one we can send."""
    if value.isdigit() and 200 <= int(value) <= 599 and int(value) in _REASONS:
        return int(value)
    return None


class MirrorlistServer:
    """The server: ``await start()``, then ``await serve_until(stop_event)``."""

    def __init__(self, host="127.0.0.1", port=0, log_path=None, fmt="almalinux", sim_headers=False):
        self.host, self.port = host, port
        self.sim_headers = sim_headers
        self.log = AccessLog(log_path, fmt, sim_time=sim_headers)
        self.responder = Responder()
        self.requests = 0
        self.connections = set()
        self._server = None

    async def start(self):
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: HttpProtocol(self), self.host, self.port,
                                                reuse_address=True, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    async def serve_until(self, stop):
        try:
            while not stop.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), FLUSH_SECONDS)
                self.log.flush()
        finally:
            self._server.close()
            # Keep-alive clients may stay connected: close them, or wait_closed() waits for them.
            for protocol in list(self.connections):
                if protocol.transport is not None:
                    protocol.transport.close()
            await self._server.wait_closed()
            self.log.close()


def serve(host, port, log_path, fmt, sim_headers, announce, duration=None):
    """Run until SIGINT/SIGTERM (or ``duration`` seconds); ``announce(server)`` once listening."""

    async def main():
        server = await MirrorlistServer(host, port, log_path, fmt, sim_headers).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if duration:
            loop.call_later(duration, stop.set)
        announce(server)
        await server.serve_until(stop)
        return server

    return asyncio.run(main())
