"""The reference load of ``replay --bench``: wrk when installed, else a minimal fixed client.

Both send one fixed, pre-encoded request over ``connections`` keep-alive
connections, one in flight on each, as fast as the server answers, so their
rate is what the server gives a client that costs nothing. ``replay --bench``
compares the real replay's rate with it in the same run.
"""

import re
import selectors
import shutil
import socket
import subprocess
import time

_WRK_RATE = re.compile(r"Requests/sec:\s*([0-9.]+)")


def wrk_path():
    return shutil.which("wrk")


def wrk_rate(url, headers, connections, seconds):
    """Requests per second ``wrk -t1`` reaches on ``url`` with ``headers`` ({name: value})."""
    command = [wrk_path(), "-t1", "-c%d" % connections, "-d%ds" % max(1, round(seconds))]
    for name, value in headers.items():
        command += ["-H", "%s: %s" % (name, value)]
    done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60)
    match = _WRK_RATE.search(done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError("wrk failed (status %d): %s"
                           % (done.returncode, (done.stderr or done.stdout)[-300:]))
    return float(match.group(1))


def fixed_rate(host, port, request, connections, seconds):
    """Requests per second of the minimal client: raw non-blocking sockets, one selector, the
    same ``request`` bytes again and again, answers delimited by Content-Length."""
    selector = selectors.DefaultSelector()
    buffers = {}
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sock.send(request)
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
                    sock.send(request)
                buffers[sock] = buffer
        return done / (time.monotonic() - started)
    finally:
        for sock in buffers:
            selector.unregister(sock)
            sock.close()
        selector.close()
