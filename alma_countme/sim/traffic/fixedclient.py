"""The reference load of ``replay --bench``: wrk when installed, else a minimal fixed client.

Both send the same pre-encoded requests as the replay (its first GET
requests, round and round) over ``connections`` keep-alive
connections, one in flight on each, as fast as the server answers, so their
rate is what the server gives, for the very requests of the replay, a client
that costs next to nothing. ``replay --bench`` compares the real replay's
rate with it in the same run. No HEAD requests: neither client knows that
their answers have no body.
"""

import os
import re
import selectors
import shutil
import socket
import subprocess
import tempfile
import time

_WRK_RATE = re.compile(r"Requests/sec:\s*([0-9.]+)")

# wrk's Lua hooks: init reads the requests (each ends with its blank line), request() hands out
# the next one as is. The requests carry their own Host header; wrk only connects to the URL.
_WRK_SCRIPT = """\
local requests, count, index = {}, 0, 0
function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local start = 1
  while true do
    local stop = data:find("\\r\\n\\r\\n", start, true)
    if not stop then break end
    count = count + 1
    requests[count] = data:sub(start, stop + 3)
    start = stop + 4
  end
end
function request()
  index = index % count + 1
  return requests[index]
end
"""


def wrk_path():
    return shutil.which("wrk")


def wrk_rate(url, requests, connections, seconds):
    """Requests per second ``wrk -t1`` reaches on ``url``, sending ``requests`` (the bytes of
    whole requests, none a HEAD) one after the other, round and round."""
    with tempfile.TemporaryDirectory(prefix="countme-sim-wrk-") as directory:
        script, data = os.path.join(directory, "cycle.lua"), os.path.join(directory, "requests")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(_WRK_SCRIPT)
        with open(data, "wb") as handle:
            handle.write(b"".join(requests))
        command = [wrk_path(), "-t1", "-c%d" % connections, "-d%ds" % max(1, round(seconds)),
                   "-s", script, url, "--", data]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    match = _WRK_RATE.search(done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError("wrk failed (status %d): %s"
                           % (done.returncode, (done.stderr or done.stdout)[-300:]))
    return float(match.group(1))


def fixed_rate(host, port, requests, connections, seconds):
    """Requests per second of the minimal client: raw non-blocking sockets, one selector,
    ``requests`` (the bytes of whole requests, none a HEAD) one after the other, round and round,
    answers delimited by Content-Length."""
    selector = selectors.DefaultSelector()
    buffers = {}
    following = _cycle(requests)
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sock.send(next(following))
        buffers[sock] = b""
        selector.register(sock, selectors.EVENT_READ)
    done = 0
    started = time.monotonic()
    deadline = started + seconds
    try:
        while time.monotonic() < deadline:
            for key, _ in selector.select(0.5):
                sock = key.fileobj
                data = sock.recv(65536)
                if not data:
                    raise RuntimeError("the server closed a connection")
                buffer = buffers[sock] + data
                while True:
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    at = buffer.find(b"\r\nContent-Length:", 0, end)
                    length = int(buffer[at + 17:buffer.find(b"\r\n", at + 2, end + 2)]) if at >= 0 else 0
                    if len(buffer) < end + 4 + length:
                        break
                    buffer = buffer[end + 4 + length:]
                    done += 1
                    sock.send(next(following))
                buffers[sock] = buffer
        return done / (time.monotonic() - started)
    finally:
        for sock in buffers:
            selector.unregister(sock)
            sock.close()
        selector.close()


def _cycle(requests):
    if not requests:
        raise ValueError("no requests to send")
    while True:
        yield from requests
