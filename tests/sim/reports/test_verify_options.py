"""verify's options that can leave nothing to check or mean nothing: an empty --levels, a negative
--max-differences, --no-dedupe without --logs; and no finding (nor OK) without a listed difference."""

import collections
import csv
import json

import pytest
from simcli import countme_sim as countme_sim_process

from alma_countme.sim.commands import cli
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs import totals_file
from alma_countme.sim.reports import verify

ALL_LEVELS = "week, bucket, repo, version, arch, row"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 1000-system, 2-week run: truth.csv (one complete week) and its logs."""
    out = tmp_path_factory.mktemp("verify-options") / "out"
    assert cli.main(["generate", "--out", str(out), "--set", "population.size=1000", "--set", "run.weeks=2",
                     "--quiet"]) == 0
    return out


def _write(path, rows):
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _truth_rows(run):
    with open(run / "truth.csv", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def header_only(run, tmp_path):
    return _write(tmp_path / "totals.csv", _truth_rows(run)[:1])


@pytest.mark.parametrize("levels", ["", ",", " , ,"])
def test_an_empty_level_list_is_refused(countme_sim, run, header_only, levels):
    status, out, err = countme_sim("verify", "--truth", run, header_only, "--levels", levels)
    assert status == 2 and out == ""
    assert err == "countme-sim: --levels: no level given; name at least one of %s\n" % ALL_LEVELS


def test_an_empty_level_list_is_refused_before_anything_else(countme_sim, run):
    # Even with neither side given: the list is what is wrong first.
    status, _, err = countme_sim("verify", "--truth", run, "--levels", "")
    assert status == 2 and err.startswith("countme-sim: --levels: no level given")


def test_compare_itself_refuses_no_levels(run):
    truth = totals_file.read_totals(str(run))
    with pytest.raises(SimError, match="--levels: no level given"):
        verify.compare(truth, truth, "0", ())
    with pytest.raises(SimError, match="--levels: no level given"):
        verify.Comparison(truth, truth, verify.parse_tolerance("0"), [])
    assert verify.parse_levels(" week, repo,week ") == ("week", "repo")


def test_repeated_levels_are_checked_once(countme_sim, run, header_only):
    status, out, _ = countme_sim("verify", "--truth", run, header_only, "--levels", "week,week", "--json")
    report = json.loads(out)
    assert status == 1 and report["levels"] == ["week"]
    assert report["differences_by_level"] == {"week": 2}  # countme and unique-address hits, once


def _renamed_repo(run, tmp_path, old, new):
    rows = _truth_rows(run)
    repo = rows[0].index("repo_tag")
    for row in rows[1:]:
        if row[repo] == old:
            row[repo] = new
    return _write(tmp_path / "renamed.csv", rows)


def _smallest_repo(run):
    rows = _truth_rows(run)
    repo, hits, age = (rows[0].index(name) for name in ("repo_tag", "hits", "sys_age"))
    totals, countme = collections.Counter(), set()
    for row in rows[1:]:
        totals[row[repo]] += int(row[hits])
        if int(row[age]) > 0:
            countme.add(row[repo])
    return min(countme, key=lambda name: (totals[name], name)), totals


def test_no_finding_about_a_level_that_is_not_checked(countme_sim, run, tmp_path):
    """A renamed repo leaves the week totals alone: checking weeks only, nothing is listed and it is OK."""
    renamed = _renamed_repo(run, tmp_path, "baseos", "base")
    status, out, _ = countme_sim("verify", "--truth", run, renamed, "--levels", "week")
    assert status == 0, out
    assert "findings" not in out and "missing" not in out
    assert out.rstrip().endswith("OK: the server's totals match the truth")
    status, out, _ = countme_sim("verify", "--truth", run, renamed, "--levels", "week,repo")
    assert status == 1
    assert "repo baseos is missing from the server's totals" in out
    assert "repo base appears only in the server's totals" in out
    assert "version " not in out.split("findings:")[1]


def test_findings_within_the_tolerance_say_so(countme_sim, run, tmp_path):
    smallest, totals = _smallest_repo(run)
    rows = _truth_rows(run)
    repo = rows[0].index("repo_tag")
    dropped = _write(tmp_path / "dropped.csv", [rows[0]] + [row for row in rows[1:] if row[repo] != smallest])
    status, out, _ = countme_sim("verify", "--truth", run, dropped, "--levels", "repo",
                                 "--tolerance", totals[smallest])
    assert status == 0, out
    assert "findings (each cell within the tolerance):" in out
    assert "repo %s is missing from the server's totals" % smallest in out
    assert out.rstrip().endswith("OK: the server's totals match the truth within the tolerance")


def test_ok_never_follows_listed_findings(countme_sim, run, header_only):
    for levels in ("week", "bucket", "repo", "version", "arch", "row"):
        status, out, _ = countme_sim("verify", "--truth", run, header_only, "--levels", levels)
        assert status == 1 and "\nFAIL: " in out and "OK" not in out, (levels, out)


def test_a_negative_max_differences_is_refused(run):
    truth = run / "truth.csv"
    result = countme_sim_process("verify", "--truth", run, truth, "--max-differences", "-1", check=2)
    assert result.stdout == ""
    assert result.stderr.rstrip().splitlines()[-1] == (
        "countme-sim verify: error: argument --max-differences: -1 is out of range (use 0 or more)")


def test_max_differences_zero_lists_none(countme_sim, run, header_only):
    status, out, _ = countme_sim("verify", "--truth", run, header_only, "--max-differences", "0")
    assert status == 1
    assert "  ... and " in out and "\n  week " not in out


def test_no_dedupe_needs_logs(countme_sim, run):
    status, out, err = countme_sim("verify", "--truth", run, run / "truth.csv", "--no-dedupe")
    assert status == 2 and out == ""
    assert err == "countme-sim: verify: --no-dedupe changes how --logs are counted; give --logs too\n"
    status, out, _ = countme_sim("verify", "--truth", run, "--logs", run / "logs", "--no-dedupe")
    assert status == 0, out
