"""countme-sim replay: refusal of remote targets, delivery, timing, bounds, errors, bench."""

import argparse
import collections
import json
import shutil
import socket

import pytest
from simcli import countme_sim

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs import logparse
from alma_countme.sim.logs.logsource import as_request, replay_requests
from alma_countme.sim.traffic import fixedclient
from alma_countme.sim.traffic.target import check_target


def _requests_of(log_path):
    """The multiset of requests a log holds: (time, client, method, target, agent)."""
    return collections.Counter(tuple(as_request(record)) for record in logparse.read_log(log_path))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refuses_a_target_outside_loopback(small_stream, tmp_path):
    report = tmp_path / "report.json"
    result = countme_sim("replay", small_stream.dir, "--target", "http://192.0.2.10:8080", "--report", report,
                         check=2)
    assert "refusing to replay against http://192.0.2.10:8080" in result.stderr
    assert "not a loopback address" in result.stderr and "--allow-remote-target" in result.stderr
    assert not report.exists()  # refused before anything was sent


def test_a_url_where_the_stream_goes_points_to_target():
    for command in (["replay"], ["replay", "--bench"]):
        result = countme_sim(*command, "http://127.0.0.1:8080/", check=2)
        assert "http://127.0.0.1:8080/ is a URL, not a stream" in result.stderr
        assert "--target http://127.0.0.1:8080/" in result.stderr


def test_loopback_rule():
    assert check_target("http://127.0.0.1:8080").addresses == ["127.0.0.1"]
    assert check_target("http://127.3.4.5:9").port == 9
    assert set(check_target("http://localhost:8080").addresses) <= {"127.0.0.1", "::1"}
    assert check_target("http://[::1]:8080").addresses == ["::1"]
    with pytest.raises(SimError, match="not a loopback address"):
        check_target("http://10.1.2.3:8080")
    # The explicit flag lifts the refusal (nothing is sent here: only the check runs).
    assert check_target("http://10.1.2.3:8080", allow_remote=True).addresses == ["10.1.2.3"]
    with pytest.raises(SimError, match="only http://"):
        check_target("https://127.0.0.1:8443")


# Preload: the default (the whole stream), part of it (the rest from the feeder), none.
@pytest.mark.parametrize("pipeline, preload", [(1, None), (8, None), (1, 37), (1, 0)])
def test_every_request_delivered_as_sent(small_stream, serve, tmp_path, pipeline, preload):
    server = serve("--format", "fedora", "--sim-headers")
    report_path = tmp_path / "report.json"
    result = countme_sim("replay", small_stream.dir, "--target", server.url, "--speedup", "max",
                         "--connections", 16, "--pipeline", pipeline, "--report", report_path,
                         *(() if preload is None else ("--preload", preload)), check=0)
    assert server.stop() == 0
    report = json.loads(report_path.read_text())
    stream = collections.Counter(tuple(request) for request in replay_requests([small_stream.dir]))
    total = sum(stream.values())
    assert total == len(small_stream.events)
    assert report["preload"]["requests"] == (total if preload is None else preload)
    if preload != 0:
        assert "read %s requests ahead" % "{:,}".format(report["preload"]["requests"]) in result.stderr
    assert (report["sent"], report["completed"], report["ok"], report["errors"]) == (total, total, total, 0)
    failed = sum(1 for event in small_stream.events if event.status == 503)
    assert report["stopped_by"] == "end of stream"
    assert report["status"] == {"200": total - failed, "503": failed}
    assert report["ok_error_status_as_simulated"] == failed  # played back, so not errors
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p95"] <= report["latency_ms"]["p99"]
    assert "done" in result.stderr and "p99" in result.stderr
    # The server saw exactly the stream: same clients, agents, targets, simulated times and statuses,
    # so its log counts to the truth.
    assert _requests_of(server.log_path) == stream
    countme_sim("verify", "--truth", small_stream.dir, "--logs", server.log_path, check=0)


def test_head_requests_and_log_files_as_stream(small_stream, serve, tmp_path):
    """HEAD answers carry no body: the keep-alive connection must stay in step."""
    log = tmp_path / "mixed.log"
    with open(small_stream.log_files[0]) as source:
        lines = source.readlines()[:300]
    log.write_text("".join(line.replace('"GET ', '"HEAD ', 1) if index % 3 == 0 else line
                           for index, line in enumerate(lines)))
    server = serve("--format", "fedora", "--sim-headers")
    result = countme_sim("replay", log, "--target", server.url, "--speedup", "max", "--connections", 2,
                         "--timeout", 5, "--json", "--quiet", check=0)
    server.stop()
    assert result.stderr == ""  # --quiet: nothing but errors, and there were none
    report = json.loads(result.stdout)
    assert (report["sent"], report["ok"], report["errors"]) == (300, 300, 0)
    methods = collections.Counter(record.method for record in logparse.read_log(server.log_path))
    assert methods == {"HEAD": 100, "GET": 200}
    assert _requests_of(server.log_path) == _requests_of(str(log))


def test_speedup_compresses_time(small_stream, serve):
    server = serve("--log", "/dev/null")
    first = next(replay_requests([small_stream.dir]))
    events = sorted(small_stream.events, key=lambda event: event.time)
    # The first 1,500 requests span this many simulated seconds; replay them in about 2 wall seconds.
    span = events[1499].time - first.time
    result = countme_sim("replay", small_stream.dir, "--target", server.url, "--speedup", span / 2.0,
                         "--max-requests", 1500, "--json", "--quiet", check=0)
    report = json.loads(result.stdout)
    assert report["stopped_by"] == "max requests" and report["sent"] == 1500 and report["errors"] == 0
    assert 1.8 <= report["wall_seconds"] <= 6.0  # never early; late only on a very busy machine
    assert report["lag_ms"]["p99"] < 500


def test_no_more_is_read_ahead_than_max_requests_and_a_paced_replay_only_when_told(small_stream, serve):
    server = serve("--log", "/dev/null")
    for speedup, preload, expected in (("max", (), 100), ("100000", (), 0),
                                       ("100000", ("--preload", 50), 50), ("max", ("--preload", 500), 100)):
        result = countme_sim("replay", small_stream.dir, "--target", server.url, "--speedup", speedup,
                             *preload, "--max-requests", 100, "--json", "--quiet", check=0)
        report = json.loads(result.stdout)
        assert (report["sent"], report["preload"]["requests"]) == (100, expected)
        assert result.stderr == ""


def test_duration_bound(small_stream, serve):
    server = serve("--log", "/dev/null")
    result = countme_sim("replay", small_stream.dir, "--target", server.url, "--speedup", 1000,
                         "--duration", 1.5, "--json", "--quiet", check=0)
    report = json.loads(result.stdout)
    assert report["stopped_by"] == "duration"
    assert 1.4 <= report["wall_seconds"] <= 3.0
    assert 0 < report["sent"] < len(small_stream.events)


def test_errors_are_counted_and_fail_the_run(small_stream):
    target = "http://127.0.0.1:%d" % _free_port()  # nobody listens there
    result = countme_sim("replay", small_stream.dir, "--target", target, "--speedup", "max",
                         "--max-requests", 20, "--connections", 4, "--json", "--quiet", check=1)
    report = json.loads(result.stdout)
    assert report["ok"] == 0 and report["errors"] > 0
    assert all(kind.startswith("connect: ") for kind in report["errors_by_kind"])


def test_bench_reports_a_rate():
    result = countme_sim("replay", "--bench", "--duration", 2, "--connections", 32, "--json", "--quiet",
                         check=0)
    report = json.loads(result.stdout)
    assert report["stopped_by"] == "duration" and report["errors"] == 0
    assert report["rate_per_second"] > 500 and report["bench"]["server_log"]
    # The reference (wrk, or the fixed client without it) ran against the same server in the same run.
    bench = report["bench"]
    assert bench["reference"].startswith("wrk" if shutil.which("wrk") else "fixed raw-socket client")
    assert bench["reference_rate_per_second"] > 500
    # measured for half the time before the replay and half after (after a warm-up), and averaged
    mean = (bench["reference_before_per_second"] + bench["reference_after_per_second"]) / 2
    assert bench["reference_rate_per_second"] == pytest.approx(mean, abs=0.1) and bench["warm_up_seconds"] > 0
    # The CPU each side spent per request, in the replay and in the reference runs.
    cpu = bench["cpu_microseconds_per_request"]
    assert cpu["replay_client"] > 0 and cpu["reference_client"] > 0
    assert cpu["server_during_replay"] > 0 and cpu["server_during_reference"] > 0
    ratio = round(report["rate_per_second"] / bench["reference_rate_per_second"], 2)
    assert bench["ratio_to_reference"] == ratio


def test_the_fixed_reference_client_counts_answers_and_cycles_its_requests(serve):
    server = serve()
    target = check_target(server.url)
    requests = [b"GET /mirrorlist/%s HTTP/1.1\r\nHost: x\r\nUser-Agent: libdnf\r\n\r\n" % path
                for path in (b"9/baseos", b"8/appstream")]
    rate = fixedclient.fixed_rate(target.host, target.port, requests, 4, 1.0)
    assert rate > 100
    assert server.stop() == 0
    paths = collections.Counter(record.path for record in logparse.read_log(server.log_path))
    assert sum(paths.values()) >= rate * 0.9
    # Round and round: each request as often as the other, give or take those in flight at the end.
    assert set(paths) == {"/mirrorlist/9/baseos", "/mirrorlist/8/appstream"}
    assert abs(paths["/mirrorlist/9/baseos"] - paths["/mirrorlist/8/appstream"]) <= 4


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (tools/bootstrap installs it)")
def test_the_wrk_reference_cycles_its_requests(serve):
    server = serve()
    requests = [b"GET /mirrorlist/%s HTTP/1.1\r\nHost: x\r\nUser-Agent: libdnf\r\n\r\n" % path
                for path in (b"9/baseos", b"8/appstream", b"10/crb")]
    rate = fixedclient.wrk_rate(server.url, requests, 4, 1)
    assert rate > 100
    assert server.stop() == 0
    paths = collections.Counter(record.path for record in logparse.read_log(server.log_path))
    assert set(paths) == {"/mirrorlist/9/baseos", "/mirrorlist/8/appstream", "/mirrorlist/10/crb"}
    assert max(paths.values()) - min(paths.values()) <= 8  # round and round, give or take those in flight


def test_the_bench_reference_sends_the_replays_own_get_requests(small_stream):
    from alma_countme.sim.commands import replay as replay_command
    from alma_countme.sim.traffic import wire

    target = check_target("http://127.0.0.1:8080")
    for sim_headers in (True, False):
        args = argparse.Namespace(stream=[small_stream.dir], sim_headers=sim_headers)
        sent = [request for request in wire.prepare(replay_requests([small_stream.dir]), "127.0.0.1:8080",
                                                    sim_headers)]
        expected = [request[3] for request in sent if not request[2]][:replay_command.REFERENCE_REQUESTS]
        assert replay_command._reference_requests(args, target) == expected
        assert expected and not any(request.startswith(b"HEAD ") for request in expected)
