"""countme-sim serve: answers, keep-alive, and an access log the parsers read back."""

import calendar
import http.client
import os
import socket
import subprocess
import sys
from urllib.parse import urlsplit

from alma_countme.sim.logs import logparse

UA = "libdnf (AlmaLinux 9.5; generic; Linux.aarch64)"
WHEN = calendar.timegm((2026, 11, 24, 10, 50, 42))


def _connect(server):
    parts = urlsplit(server.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def _get(connection, target, method="GET", **headers):
    connection.request(method, target, headers=dict({"User-Agent": UA}, **headers))
    response = connection.getresponse()
    return response.status, response.getheaders(), response.read()


def test_answers_and_almalinux_log(serve):
    server = serve("--format", "almalinux", "--sim-headers")
    connection = _connect(server)  # one keep-alive connection for all of these
    status, _, first_body = _get(connection, "/mirrorlist/9/baseos?countme=3", **{
        "X-Forwarded-For": "192.0.2.7, 10.0.0.1", "X-Countme-Sim-Time": str(WHEN)})
    assert status == 200 and b"/9/baseos/aarch64/os/" in first_body
    status, _, body = _get(connection, "/mirrorlist/10/appstream?arch=x86_64_v2",
                           **{"X-Forwarded-For": "192.0.2.8"})
    assert status == 200 and b"/10/appstream/x86_64_v2/os/" in body
    status, headers, body = _get(connection, "/metalink?repo=almalinux-baseos-9&arch=x86_64")
    assert status == 200 and body.startswith(b"<?xml") and b"<metalink" in body
    assert ("Content-Type", "application/metalink+xml") in headers
    status, _, body = _get(connection, "/mirrorlist/9/baseos", method="HEAD")
    assert status == 200 and body == b""
    status, _, _ = _get(connection, "/nothing/here")
    assert status == 404
    # The simulated service's answer is played back: a failure, or a 200 where this server has nothing.
    status, _, body = _get(connection, "/mirrorlist/9/crb?countme=1", **{"X-Countme-Sim-Status": "503"})
    assert (status, body) == (503, b"simulated 503\n")
    assert _get(connection, "/robots.txt", **{"X-Countme-Sim-Status": "200"})[0] == 200
    connection.close()
    assert server.stop() == 0
    assert "stopped after 7 requests" in server.stderr

    records = list(logparse.read_log(server.log_path))
    assert [r.status for r in records] == [200, 200, 200, 200, 404, 503, 200]
    first = records[0]
    assert (first.client_addr, first.remote_addr) == ("192.0.2.7", "127.0.0.1")
    assert (first.method, first.path) == ("GET", "/mirrorlist/9/baseos")
    assert dict(first.query) == {"countme": "3"} and first.user_agent == UA
    assert int(first.time) == WHEN
    assert records[1].client_addr == "192.0.2.8" and dict(records[1].query) == {"arch": "x86_64_v2"}
    assert records[2].client_addr == "-"  # nginx writes "-" without X-Forwarded-For
    assert records[3].method == "HEAD"
    with open(server.log_path) as handle:
        line = handle.readline()
    assert line == ('192.0.2.7 - - [24/Nov/2026:10:50:42 +0000] '
                    '"GET /mirrorlist/9/baseos?countme=3 HTTP/1.1" '
                    '200 %d "-" "%s" "127.0.0.1"\n' % (len(first_body), UA))


def test_fedora_log_is_read_by_mirrors_countme(serve):
    server = serve("--format", "fedora", "--sim-headers")
    connection = _connect(server)
    for index in range(3):
        _get(connection, "/metalink?repo=almalinux-baseos-9&arch=x86_64&countme=%d" % (index + 1),
             **{"X-Forwarded-For": "198.51.100.%d" % index, "X-Countme-Sim-Time": str(WHEN + index)})
    _get(connection, "/mirrorlist?repo=almalinux-appstream-9&arch=x86_64")  # no XFF: the peer is logged
    connection.close()
    server.stop()
    parse = os.path.join(os.path.dirname(sys.executable), "countme-parse-access-log")
    output = subprocess.run([parse, "--format", "csv", server.log_path], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert output[0] == "timestamp,host,os_name,os_version,os_variant,os_arch,sys_age,repo_tag,repo_arch"
    assert output[1:4] == [
        "%d,198.51.100.0,AlmaLinux,9.5,generic,aarch64,1,almalinux-baseos-9,x86_64" % WHEN,
        "%d,198.51.100.1,AlmaLinux,9.5,generic,aarch64,2,almalinux-baseos-9,x86_64" % (WHEN + 1),
        "%d,198.51.100.2,AlmaLinux,9.5,generic,aarch64,3,almalinux-baseos-9,x86_64" % (WHEN + 2),
    ]
    # Without X-Forwarded-For (and without the sim time) the peer and the wall clock are logged.
    assert output[4].split(",")[1:] == ["127.0.0.1", "AlmaLinux", "9.5", "generic", "aarch64", "-1",
                                        "almalinux-appstream-9", "x86_64"]
    assert len(output) == 5


def test_pipelining_close_escaping_and_bad_requests(serve):
    server = serve("--format", "almalinux")
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET /mirrorlist/8/baseos HTTP/1.1\r\nHost: x\r\nUser-Agent: a\"b\\c\r\n\r\n"
                     b"GET /mirrorlist/8/extras HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break  # the server closed the connection as asked
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2 and data.count(b"Connection: close") == 1
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 Bad Request")
    connection = _connect(server)
    assert _get(connection, "/mirrorlist/9/baseos", method="POST")[0] == 405
    # Without --sim-headers the simulated status is not played back.
    assert _get(connection, "/mirrorlist/9/baseos", **{"X-Countme-Sim-Status": "503"})[0] == 200
    connection.close()
    server.stop()
    with open(server.log_path) as handle:
        lines = handle.read().splitlines()
    assert '"a\\x22b\\x5Cc"' in lines[0]  # quote and backslash escaped as nginx does
    assert '"GET /mirrorlist/8/extras HTTP/1.1" 200' in lines[1]
    assert '"NONSENSE" 400' in lines[2]
    assert '"POST /mirrorlist/9/baseos HTTP/1.1" 405' in lines[3]
