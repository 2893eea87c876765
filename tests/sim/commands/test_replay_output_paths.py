"""Output paths are checked before any work starts: one line naming path and reason, exit 2."""

import pytest
from simcli import Serve, countme_sim


@pytest.mark.parametrize("path,reason", [
    ("/dev/null", "--dir /dev/null exists and is not a directory"),
    ("{tmp}/file/sub", "--dir {tmp}/file/sub: cannot create the directory: Not a directory"),
])
def test_bench_dir_that_cannot_be_written(tmp_path, path, reason):
    (tmp_path / "file").write_text("x")
    path, reason = path.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    # 1,000,000 systems by default: only a check made before generating returns at once.
    result = countme_sim("bench", "--dir", path, check=2, timeout=30)
    assert result.stderr == "countme-sim: %s\n" % reason and result.stdout == ""


@pytest.mark.parametrize("path,reason", [
    ("{tmp}", "--report {tmp} is a directory, not a file"),
    ("/dev/null", "--report /dev/null exists and is not a regular file"),
    ("{tmp}/missing/report.json",
     "--report {tmp}/missing/report.json: directory {tmp}/missing does not exist"),
])
def test_replay_report_is_checked_before_any_request(small_stream, tmp_path, path, reason):
    path, reason = path.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    server = Serve(tmp_path / "server.log")
    try:
        result = countme_sim("replay", small_stream.dir, "--target", server.url, "--speedup", "max",
                             "--report", path, check=2)
    finally:
        server.stop()
    assert result.stderr == "countme-sim: %s\n" % reason and result.stdout == ""
    assert (tmp_path / "server.log").read_text() == ""  # not one request was sent


def test_replay_bench_report_is_checked_first(tmp_path):
    result = countme_sim("replay", "--bench", "--report", tmp_path, check=2, timeout=30)
    assert result.stderr == "countme-sim: --report %s is a directory, not a file\n" % tmp_path
