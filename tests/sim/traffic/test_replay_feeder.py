"""The feeder process of replay: the very requests the client would encode itself, in order; early
stops and a stream that fails to read."""

import itertools
import os
import shutil

from simcli import countme_sim

from alma_countme.sim.logs import logsource
from alma_countme.sim.traffic import feeder, wire


def _two_mirrors(small_stream, out):
    """The stream's day files dealt out to two mirror directories, which the reader merges by time."""
    for index, path in enumerate(sorted(small_stream.log_files)):
        directory = out / "logs" / ("mirror%d" % (1 + index % 2))
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, directory)
    return [str(out)]


def test_the_feeder_sends_what_the_client_would_encode(small_stream, tmp_path):
    paths = _two_mirrors(small_stream, tmp_path)
    for sim_headers in (True, False):
        expected = list(wire.prepare(logsource.replay_requests(paths), "127.0.0.1:8080", sim_headers))
        with feeder.Feed(paths, "127.0.0.1:8080", sim_headers, batch=7) as feed:
            assert list(feed) == expected
        times = [request[0] for request in expected]
        assert times == sorted(times) and len(expected) == len(small_stream.events)
        assert b"\r\nHost: 127.0.0.1:8080\r\n" in expected[0][3]
        assert (b"\r\nX-Countme-Sim-Time: %d\r\n" % times[0] in expected[0][3]) == sim_headers


def test_a_feed_closed_early_stops_its_process(small_stream):
    feed = feeder.Feed([small_stream.dir], "127.0.0.1:8080", batch=5)
    assert len(list(itertools.islice(feed, 12))) == 12
    feed.close()
    assert not feed.process.is_alive()


def test_a_line_in_neither_format_stops_the_replay_with_its_place(small_stream, serve, tmp_path):
    first = sorted(small_stream.log_files)[0]
    with open(first) as handle:
        lines = handle.readlines()[:50]
    bad = tmp_path / "logs" / "mirror1"
    bad.mkdir(parents=True)
    (bad / os.path.basename(first)).write_text("".join(lines) + "not a log line\n" + lines[-1])
    server = serve("--format", "fedora", "--sim-headers")
    result = countme_sim("replay", tmp_path, "--target", server.url, "--speedup", "max", "--quiet", check=2)
    assert "%s line 51: not an access-log line" % (bad / os.path.basename(first)) in result.stderr


def test_a_lowest_priority_feed_reads_at_nice_19_and_any_other_at_ours(small_stream, tmp_path):
    with open(sorted(small_stream.log_files)[0]) as handle:
        lines = handle.readlines()
    log = tmp_path / "long.log"  # many times what the pipe holds: the feeder is still reading below
    log.write_text("".join(lines * (20_000 // len(lines) + 1)))
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    for lowest, expected in ((True, feeder.LOWEST_PRIORITY), (False, ours)):
        with feeder.Feed([str(log)], "127.0.0.1:8080", lowest_priority=lowest) as feed:
            next(iter(feed))
            assert feed.process.is_alive()
            assert os.getpriority(os.PRIO_PROCESS, feed.process.pid) == expected
