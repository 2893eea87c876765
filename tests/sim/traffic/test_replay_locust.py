"""The Locust path: a headless master and two worker processes replay disjoint shards."""

import collections
import os
import socket
import subprocess
import sys

from simcli import countme_sim

from alma_countme.sim.logs import logparse
from alma_countme.sim.logs.logsource import as_request, replay_requests

LOCUST = os.path.join(os.path.dirname(sys.executable), "locust")
REQUESTS = 3000


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_workers_replay_the_stream_between_them(small_stream, serve, tmp_path):
    server = serve("--format", "fedora", "--sim-headers")
    port = _free_port()
    locustfile = countme_sim("replay", "--locustfile-path", check=0).stdout.strip()
    assert os.path.isfile(locustfile) and locustfile.endswith("alma_countme/sim/traffic/locustfile.py")
    common = ["-f", locustfile, "--loglevel", "INFO"]
    master = subprocess.Popen(
        [LOCUST] + common + ["--master", "--headless", "--master-bind-host", "127.0.0.1",
                             "--master-bind-port", str(port), "--expect-workers", "2", "-u", "8", "-r", "8",
                             "--run-time", "60s", "--stop-timeout", "5", "-H", server.url,
                             "--stream", small_stream.dir, "--speedup", "0",
                             "--stream-max-requests", str(REQUESTS)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    workers = [subprocess.Popen([LOCUST] + common + ["--worker", "--master-host", "127.0.0.1",
                                                     "--master-port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]
    try:
        master_output, _ = master.communicate(timeout=90)
        worker_outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    finally:
        for process in [master] + workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert master.returncode == 0, master_output
    # Both workers finished their shard and told the master, which ended the run before --run-time.
    assert "worker 0 finished its shard" in master_output and "worker 1 finished its shard" in master_output
    assert "2 of 2 done" in master_output
    shards = sorted(index for output in worker_outputs for index in "01"
                    if "replaying shard %s of 2" % index in output)
    assert shards == ["0", "1"], worker_outputs

    server.stop()
    received = collections.Counter(tuple(as_request(record)) for record in logparse.read_log(server.log_path))
    wanted = collections.Counter()
    for position, request in enumerate(replay_requests([small_stream.dir])):
        if position >= REQUESTS:
            break
        wanted[tuple(request)] += 1
    assert sum(received.values()) == REQUESTS
    assert received == wanted


def test_locust_refuses_a_target_outside_loopback(small_stream):
    locustfile = countme_sim("replay", "--locustfile-path", check=0).stdout.strip()
    result = subprocess.run([LOCUST, "-f", locustfile, "--headless", "-H", "http://192.0.2.10:8080",
                             "--stream", small_stream.dir, "--run-time", "20s"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "refusing to replay against http://192.0.2.10:8080" in result.stderr
    assert "--allow-remote-target" in result.stderr


def test_speedup_max_is_taken_as_replay_takes_it(small_stream, serve):
    server = serve("--sim-headers")
    locustfile = countme_sim("replay", "--locustfile-path", check=0).stdout.strip()
    result = subprocess.run([LOCUST, "-f", locustfile, "--headless", "-u", "4", "-r", "4",
                             "--run-time", "60s", "--stop-timeout", "5", "-H", server.url,
                             "--stream", small_stream.dir, "--speedup", "max",
                             "--stream-max-requests", "200"],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    server.stop()
    assert len(list(logparse.read_log(server.log_path))) == 200
    for bad in ("fast", "-2"):
        result = subprocess.run([LOCUST, "-f", locustfile, "--headless", "-H", server.url, "--stream",
                                 small_stream.dir, "--speedup", bad],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert ("--speedup: expected a number above 0, or max (or 0) to send as fast as possible, got %r"
                % bad) in result.stderr


def test_a_worker_beyond_expect_workers_replays_nothing_and_the_run_waits_for_the_shard(
        small_stream, serve):
    # A second worker with --expect-workers 1: Locust gives it index 1, beyond the one shard that
    # is the whole stream. It must neither send part of that shard again nor end the run early.
    server = serve("--format", "fedora", "--sim-headers")
    port = _free_port()
    locustfile = countme_sim("replay", "--locustfile-path", check=0).stdout.strip()
    common = ["-f", locustfile, "--loglevel", "INFO"]
    workers = [subprocess.Popen([LOCUST] + common + ["--worker", "--master-host", "127.0.0.1",
                                                     "--master-port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]
    master = subprocess.Popen(
        [LOCUST] + common + ["--master", "--headless", "--master-bind-host", "127.0.0.1",
                             "--master-bind-port", str(port), "--expect-workers", "1", "-u", "2", "-r", "2",
                             "--run-time", "60s", "--stop-timeout", "5", "-H", server.url,
                             "--stream", small_stream.dir, "--speedup", "0",
                             "--stream-max-requests", str(REQUESTS)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        master_output, _ = master.communicate(timeout=90)
        worker_outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    finally:
        for process in [master] + workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert master.returncode == 0, master_output
    assert "worker 0 finished its shard (%d requests); 1 of 1 done" % REQUESTS in master_output
    assert "worker 1 finished" not in master_output
    beyond = [output for output in worker_outputs
              if "not replaying: worker 1 is beyond --expect-workers 1" in output]
    replaying = [output for output in worker_outputs if "replaying shard 0 of 1" in output]
    assert len(replaying) == 1, worker_outputs
    assert len(beyond) == 1, worker_outputs
    assert "(worker 0 replays the whole stream)" in beyond[0]
    server.stop()
    assert len(list(logparse.read_log(server.log_path))) == REQUESTS
