"""countme-sim verify against the real mirrors-countme pipeline, correct and broken.

The truth comes from minilog's events as they were made; the server side is
what the real countme-parse-access-log + countme-totals make of the log, or a
broken variant of that pipeline.
"""

import json
import os

import pytest
from simcli import countme_sim

from alma_countme import model
from alma_countme.sim.logs import tally, totals_file
from alma_countme.sim.logs.logsource import records


def _rewrite(log_files, out, keep=lambda line: True, change=lambda line: line):
    with open(out, "w") as handle:
        for path in log_files:
            with open(path) as source:
                handle.writelines(change(line) for line in source if keep(line))
    return [out]


@pytest.fixture(scope="module")
def correct(small_stream, mirrors_countme):
    return mirrors_countme(small_stream.log_files, "correct")


@pytest.mark.parametrize("which", [0, 1, 2], ids=["csv", "totals-sqlite", "raw-sqlite"])
def test_correct_pipeline_passes(small_stream, correct, which):
    result = countme_sim("verify", "--truth", small_stream.dir, correct[which], check=0)
    assert "OK: the server's totals match the truth" in result.stdout
    assert "3 weeks" in result.stdout


def test_server_logs_counted_directly_pass(small_stream):
    result = countme_sim("verify", "--truth", small_stream.truth_path, "--logs", small_stream.dir, "--json",
                         check=0)
    report = json.loads(result.stdout)
    assert report["ok"] and report["differences_beyond_tolerance"] == 0
    flagged = sum(1 for event in small_stream.events if event.flag and event.status == 200
                  and model.window_index(event.time) in small_stream.weeks)
    assert report["server"]["countme_hits"] == report["truth"]["countme_hits"] == flagged


def test_dropped_bucket_is_named(small_stream, mirrors_countme, tmp_path):
    assert any(event.bucket == 4 for event in small_stream.events)
    broken = _rewrite(small_stream.log_files, str(tmp_path / "no-bucket-4.log"),
                      keep=lambda line: "countme=4" not in line)
    csv_path, _, _ = mirrors_countme(broken, "drop4")
    result = countme_sim("verify", "--truth", small_stream.dir, csv_path, check=1)
    assert "bucket 4 (more than 24 weeks) is missing from the server's totals" in result.stdout
    assert "FAIL" in result.stdout
    for bucket in (1, 2, 3):
        assert "bucket %d (" % bucket not in result.stdout.split("findings:")[1]


def test_double_counted_retries_are_named(small_stream, mirrors_countme, tmp_path):
    retried = [event for event in small_stream.events if event.status == 503 and event.flag]
    assert retried, "the stream must hold failed countme attempts that were retried"
    # A pipeline that does not look at the status counts the failed first attempts too.
    broken = _rewrite(small_stream.log_files, str(tmp_path / "retries.log"),
                      change=lambda line: line.replace('" 503 0 "', '" 200 0 "'))
    csv_path, _, _ = mirrors_countme(broken, "retries")
    result = countme_sim("verify", "--truth", small_stream.dir, csv_path, "--json", check=1)
    report = json.loads(result.stdout)
    extra = sum(1 for event in retried if model.window_index(event.time) in small_stream.weeks)
    assert report["server"]["countme_hits"] - report["truth"]["countme_hits"] == extra
    named = [finding for finding in report["findings"]
             if finding.startswith("over-counting: the server has %d more countme hits" % extra)]
    assert len(named) == 1 and "retried or duplicated requests counted twice" in named[0]


def test_tolerance(small_stream, mirrors_countme, tmp_path):
    broken = _rewrite(small_stream.log_files, str(tmp_path / "retries.log"),
                      change=lambda line: line.replace('" 503 0 "', '" 200 0 "'))
    csv_path, _, _ = mirrors_countme(broken, "retries-tolerance")
    levels = ("--levels", "week")
    loose = countme_sim("verify", "--truth", small_stream.dir, csv_path, "--tolerance", "10%", *levels,
                        check=0)
    assert "differences within tolerance: 3" in loose.stdout
    countme_sim("verify", "--truth", small_stream.dir, csv_path, "--tolerance", "1%", *levels, check=1)
    countme_sim("verify", "--truth", small_stream.dir, csv_path, "--tolerance", "1000", check=0)


def test_tally_matches_mirrors_countme_including_unique_rows(small_stream, correct):
    """Our totals of the log equal the real tools' row for row, unique-address rows included."""
    real = totals_file.read_totals(correct[0]).rows
    ours = tally.tally_records(records([small_stream.dir])).totals()
    assert any(key.sys_age == -1 for key in real) and any(key.sys_age > 0 for key in real)
    assert ours == real


def test_bad_inputs_name_the_file(small_stream, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("week,hits\n2026-11-02,3\n")
    result = countme_sim("verify", "--truth", small_stream.dir, bad, check=2)
    assert "%s line 1: not a countme totals header" % bad in result.stderr
    short = tmp_path / "short.csv"
    with open(small_stream.truth_path) as handle:
        short.write_text(handle.readline() + "2026-11-02,2026-11-08,5,AlmaLinux\n")
    result = countme_sim("verify", "--truth", small_stream.dir, short, check=2)
    assert "%s line 2: 4 fields, expected 10" % short in result.stderr
    result = countme_sim("verify", "--truth", small_stream.dir, "--tolerance", "lots", bad, check=2)
    assert "--tolerance" in result.stderr
    result = countme_sim("verify", "--truth", str(tmp_path), bad, check=2)
    assert "without truth.csv" in result.stderr
    assert os.path.exists(small_stream.truth_path)


def test_unreadable_lines_are_counted_with_an_example(small_stream, tmp_path):
    mixed = _rewrite(small_stream.log_files, str(tmp_path / "mixed.log"))[0]
    with open(mixed, "a") as handle:
        handle.write("garbage line one\nsecond garbage line\n")
    result = countme_sim("verify", "--truth", small_stream.truth_path, "--logs", mixed, check=0)
    assert ("countme-sim verify: 2 lines in neither log format passed over (as mirrors-countme does); "
            "e.g. %s line" % mixed) in result.stderr
    assert "'garbage line one'" in result.stderr
    report = json.loads(countme_sim("verify", "--truth", small_stream.truth_path, "--logs", mixed, "--json",
                                    check=0).stdout)
    assert report["unreadable_lines"] == 2 and report["unreadable_example"][2] == "garbage line one"


def test_a_file_without_log_lines_is_named(small_stream, tmp_path):
    garbage = tmp_path / "garbage.log"
    garbage.write_text("not a log line\n" * 5)
    alone = countme_sim("verify", "--truth", small_stream.truth_path, "--logs", garbage, check=2)
    assert alone.stderr.startswith("countme-sim: --logs: no access log lines")
    assert str(garbage) in alone.stderr and "Traceback" not in alone.stderr and alone.stdout == ""
    both = countme_sim("verify", "--truth", small_stream.truth_path, "--logs", small_stream.dir, garbage,
                       check=0)
    assert "%s holds no access log lines (5 other lines); left out" % garbage in both.stderr
