"""tools/real-clients (countme_harness.real_clients): test ids to matrix cells, and its table from JUnit."""

import json
import os
import subprocess
import sys

import pytest

from countme_harness import CHECKOUT

TOOL = os.path.join(CHECKOUT, "tools", "real-clients")

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="t" name="test_headline[bullseye]" time="10.5"/>
<testcase classname="t" name="test_headline[forky-dnf5]" time="2.0"/>
<testcase classname="t" name="test_agent[forky-dnf5-tabs]" time="1.0"><failure message="x"/></testcase>
<testcase classname="t" name="test_agent[forky-dnf5-empty file]" time="1.0"/>
<testcase classname="t" name="test_agent[forky]" time="1.0"><skipped message="y"/></testcase>
<testcase classname="t" name="test_unrelated" time="1.0"/>
</testsuite></testsuites>
"""


@pytest.fixture(scope="module")
def tool():
    from countme_harness import real_clients

    return real_clients


def test_client_is_found_in_the_test_id(tool):
    assert tool.split_test_id("test_x[forky-dnf5-tabs]") == ("x", "forky-dnf5")
    assert tool.split_test_id("test_x[forky-tabs]") == ("x", "forky")
    assert tool.split_test_id("test_x[forky]") == ("x", "forky")
    assert tool.split_test_id("test_x[tabs]") == ("x", None)


def test_cells_count_failures(tool):
    assert tool.cell([("pass", 1)]) == "pass"
    assert tool.cell([("pass", 1), ("pass", 1)]) == "pass 2"
    assert tool.cell([("pass", 1), ("FAIL", 1)]) == "FAIL 1/2"
    assert tool.cell([("skip", 1)]) == "skip"


def test_table_and_json_from_a_junit_report(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT)
    text = subprocess.run([sys.executable, TOOL, "matrix", "--from-junit", str(report)],
                          stdout=subprocess.PIPE, universal_newlines=True, check=False)
    assert text.returncode == 1  # one failure
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["check", "bullseye", "forky", "forky-dnf5"]
    assert lines[1].split() == ["agent", "-", "skip", "FAIL", "1/2"]
    assert lines[2].split() == ["headline", "pass", "-", "pass"]
    as_json = subprocess.run([sys.executable, TOOL, "matrix", "--json", "--from-junit", str(report)],
                             stdout=subprocess.PIPE, universal_newlines=True, check=False)
    data = json.loads(as_json.stdout)
    assert data["failed"] == 1 and data["checks"] == ["agent", "headline"]
    assert {(row["check"], row["client"], row["result"]) for row in data["results"]} == {
        ("agent", "forky", "skip"), ("agent", "forky-dnf5", "FAIL 1/2"),
        ("headline", "bullseye", "pass"), ("headline", "forky-dnf5", "pass")}


def test_main_in_process_reads_a_junit_report(tool, tmp_path, capsys):
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT)
    assert tool.main(["matrix", "--json", "--from-junit", str(report)]) == 1  # one failure
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] == 1 and data["checks"] == ["agent", "headline"]
