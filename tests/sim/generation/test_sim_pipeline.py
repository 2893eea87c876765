"""The logs give back the truth: through the real mirrors-countme, and through logparse."""

import collections
import csv
import glob
import json
import os
import re
import subprocess
import sys

import pytest

from alma_countme import model
from alma_countme.sim.logs import logparse

STRESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "stress.toml")

BIN = os.path.dirname(sys.executable)


def csv_rows(path):
    """Rows of a totals CSV (header checked) as a multiset of tuples of strings."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["week_start", "week_end", "hits", "os_name", "os_version", "os_variant",
                                "os_arch", "sys_age", "repo_tag", "repo_arch"]
        return collections.Counter(tuple(row) for row in reader)


def mirrors_countme(out, logs):
    """countme-parse-access-log (SQLite, its default duplicate check) then countme-totals."""
    raw, totals, dump = (str(out / name) for name in ("raw.db", "totals.db", "totals.csv"))
    subprocess.run([os.path.join(BIN, "countme-parse-access-log"), "--sqlite", raw] + logs,
                   check=True, capture_output=True, timeout=300)
    subprocess.run([os.path.join(BIN, "countme-totals"), totals, "--update-from", raw, "--csv-dump", dump],
                   check=True, capture_output=True, timeout=300)
    return dump


def complete_weeks(out):
    with open(out / "summary.json") as handle:
        return {w["week_start"] for w in json.load(handle)["weeks"] if w["complete"]}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["default", "stress"])
def test_real_mirrors_countme_finds_the_truth_in_fedora_logs(tmp_path, countme_sim, scenario):
    out = tmp_path / "out"
    options = ["--scenario", STRESS] if scenario == "stress" else ["--set", "population.size=1500",
                                                                    "--set", "run.weeks=3"]
    status, _, err = countme_sim("generate", "--out", out, "--format", "fedora", "--gzip", "--quiet",
                                 *options)
    assert status == 0, err
    logs = sorted(glob.glob(str(out / "logs" / "*" / "*.log.gz")))
    assert len(logs) == 3 * 7 * 2

    found = csv_rows(mirrors_countme(tmp_path, logs))
    truth = csv_rows(out / "truth.csv")
    assert found == truth
    # The comparison covers what matters: complete weeks only, every bucket, both kinds of rows.
    weeks = {row[0] for row in truth}
    assert weeks == complete_weeks(out) and len(weeks) == 2
    assert {row[7] for row in truth} == {"1", "2", "3", "4", "-1"}
    assert any(row[3] == "" and row[7] != "-1" for row in truth)  # countme from a plain "libdnf" agent


# mirrors-countme's rules, written again here from its documentation and code, for AlmaLinux's
# path-style requests: the repo from /mirrorlist/<releasever>/<repo>, arch from the query.
_AGENT = re.compile(r"(?:libdnf|rpm-ostree)(?:/\S+)?\s+"
                    r"\((.*)\s([0-9a-z._-]*?);\s([0-9a-z._-]*);\s[\w./]+\.(\w+)\)", re.ASCII)
_ALMALINUX_PATH = re.compile(r"/mirrorlist/([^/]+)/([^/]+)")


def totals_of(records):
    items = set()
    for r in records:
        match = _ALMALINUX_PATH.fullmatch(r.path)
        if r.method not in ("GET", "HEAD") or r.status not in (200, 302) or not match:
            continue
        agent = _AGENT.fullmatch(r.user_agent)
        fields = agent.groups() if agent else ("", "", "", "")
        items.add((r.time, r.client_addr) + fields + (int(r.query.get("countme", -1)),
                                                      match.group(2), r.query.get("arch", "")))
    countme, daily = collections.Counter(), set()
    spans = {True: [], False: []}
    for time, host, *fields, age, repo, arch in items:
        week = model.window_index(time)
        spans[age >= 0].append(time)
        if age >= 0:
            countme[(week, *fields, age, repo, arch)] += 1
        daily.add((week, (time - model.window_start(time)) // 86400, host, *fields, repo, arch))
    unique = collections.Counter((week, *rest) for week, _, _, *rest in daily)

    def complete(times):
        return range(model.window_index(min(times)), model.window_index(max(times) - 600))

    countme_weeks, unique_weeks = complete(spans[True]), complete(spans[False])
    rows = collections.Counter()
    for (week, n, v, var, a, age, repo, arch), hits in countme.items():
        if week in countme_weeks:
            rows[_dates(week) + (str(hits), n, v, var, a, str(age), repo, arch)] += 1
    for (week, n, v, var, a, repo, arch), hits in unique.items():
        if week in unique_weeks:
            rows[_dates(week) + (str(hits), n, v, var, a, "-1", repo, arch)] += 1
    return rows


def _dates(week):
    import datetime
    monday = datetime.date(1970, 1, 5) + datetime.timedelta(weeks=week)
    return monday.isoformat(), (monday + datetime.timedelta(days=6)).isoformat()


def test_logparse_finds_the_truth_in_almalinux_logs(small_run):
    logs = sorted(glob.glob(str(small_run / "logs" / "*" / "*.log")))
    records = list(logparse.read_logs(logs))
    assert all(r.remote_addr and r.remote_addr.startswith("10.20.") for r in records)
    assert csv_rows(small_run / "truth.csv") == totals_of(records)


@pytest.mark.slow
def test_logparse_finds_the_truth_in_stressed_almalinux_logs(tmp_path, countme_sim):
    out = tmp_path / "out"
    assert countme_sim("generate", "--out", out, "--scenario", STRESS, "--gzip", "--quiet")[0] == 0
    records = list(logparse.read_logs(sorted(glob.glob(str(out / "logs" / "*" / "*.log.gz")))))
    truth = csv_rows(out / "truth.csv")
    assert truth == totals_of(records)
    # The stress scenario reaches the cases a careless pipeline gets wrong.
    statuses = collections.Counter(r.status for r in records)
    assert {200, 404, 499, 503, 504} <= set(statuses)
    assert any(r.method == "HEAD" for r in records)
    assert any(":" in r.client_addr for r in records)
    assert any(r.query.get("arch") == "x86_64_v2" for r in records)
    assert any("countme" in r.query and r.status == 404 for r in records)


def test_logs_are_in_time_order_within_each_file(small_run):
    for path in glob.glob(str(small_run / "logs" / "*" / "*.log")):
        times = [r.time for r in logparse.read_log(path)]
        assert times == sorted(times) and times
        day = os.path.basename(path)[len("access-"):-len(".log")]
        assert {_day_of(t) for t in times} == {day}


def _day_of(when):
    import time
    return time.strftime("%Y-%m-%d", time.gmtime(when))


def test_logparse_reads_lines_of_both_formats(tmp_path):
    log = tmp_path / "mixed.log"
    log.write_text(
        '2a02:8108:1a40:4e00:f8d4:3f28:9c1e:5b07 - - [21/Nov/2026:10:50:42 +0000] '
        '"GET /mirrorlist/10/baseos?arch=x86_64_v2&countme=4 HTTP/1.1" 200 2213 "-" '
        '"libdnf (AlmaLinux 10.1; generic; Linux.x86_64_v2)" "10.20.0.11"\n'
        '192.0.2.7 - - [21/Nov/2026:11:50:42 +0100] "HEAD /metalink?repo=a&repo=b&arch=x HTTP/2.0" 302 - '
        '"-" "curl"\n')
    first, second = logparse.read_log(str(log))
    assert first.time == 1795258242 and first.client_addr.startswith("2a02:")
    assert first.remote_addr == "10.20.0.11"
    assert first.path == "/mirrorlist/10/baseos" and first.query == {"arch": "x86_64_v2", "countme": "4"}
    assert (second.time, second.method, second.status, second.bytes) == (1795258242, "HEAD", 302, 0)
    assert second.query == {"repo": "b", "arch": "x"} and second.remote_addr is None
    log.write_text(log.read_text() + "garbage\n")
    with pytest.raises(logparse.LogFormatError, match="mixed.log line 3"):
        list(logparse.read_log(str(log)))
    assert len(list(logparse.read_log(str(log), errors="skip"))) == 2
