"""`countme-sim serve` failures: a port it cannot listen on and a log it cannot write are told apart."""

import http.client
import socket
import subprocess
import sys

import pytest
from simcli import READY, countme_sim


def _error_line(result):
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("countme-sim: "), result
    return lines[0]


def test_a_port_in_use_is_named_and_the_log_is_not_blamed(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = tmp_path / "access.log"
        line = _error_line(countme_sim("serve", "--port", port, "--log", log, "--duration", 5, timeout=30))
    assert line == ("countme-sim: serve: cannot listen on 127.0.0.1 port %d: Address already in use; another "
                    "process listens there: stop it, or pick another --port (0 picks a free one)" % port)


def test_a_log_in_a_missing_directory_is_named_and_the_port_is_not_blamed(tmp_path):
    log = tmp_path / "missing" / "access.log"
    line = _error_line(countme_sim("serve", "--port", 0, "--log", log, "--duration", 5, timeout=30))
    assert line == ("countme-sim: serve: cannot open the access log --log %s: No such file or directory; "
                    "give a file in a directory you can write to, or - for standard output" % log)
    assert "listen" not in line


def test_a_log_that_fails_while_serving_says_so(tmp_path):
    # /dev/full opens and refuses every write: the disk filling up under a running server.
    server = subprocess.Popen([sys.executable, "-m", "alma_countme.sim", "serve", "--port", "0", "--log",
                               "/dev/full", "--duration", "2"], stderr=subprocess.PIPE, text=True)
    try:
        url = READY.search(server.stderr.readline()).group(1)
        host, port = url.rsplit("/", 1)[1].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/mirrorlist/9/baseos")
        assert connection.getresponse().status == 200
        connection.close()
        _, err = server.communicate(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 2
    assert err == ("countme-sim: serve: cannot write the access log --log /dev/full: "
                   "No space left on device; give a file in a directory you can write to, "
                   "or - for standard output\n")


@pytest.mark.parametrize("duration", ["0", "-1", "nan", "soon"])
def test_a_duration_that_is_not_above_0_is_refused_as_replay_refuses_it(tmp_path, duration):
    # --duration 0 used to serve forever and -1 stop at once; neither is a length of time.
    result = countme_sim("serve", "--port", 0, "--log", tmp_path / "server.log", "--duration", duration,
                         timeout=30)
    assert result.returncode == 2
    assert "argument --duration: expected a number" in result.stderr and repr(duration) in result.stderr
    assert not (tmp_path / "server.log").exists()
