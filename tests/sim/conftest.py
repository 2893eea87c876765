"""Fixtures for the simulator's tests: the CLI in this process, small generated runs, file trees,
a local server, small streams and the real mirrors-countme.

Everything networked talks to 127.0.0.1 only, with bounded request counts and times.
"""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minilog  # noqa: E402  (needs the path above)
from simcli import Serve  # noqa: E402

from alma_countme.sim.commands import cli  # noqa: E402


@pytest.fixture
def countme_sim(capsys):
    """``countme_sim(*args) -> (exit status, stdout, stderr)``, running the CLI in this process."""

    def run(*args):
        status = cli.main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The default scenario with 2000 systems over 3 weeks, AlmaLinux format, 2 jobs."""
    out = tmp_path_factory.mktemp("small") / "out"
    status = cli.main(["generate", "--out", str(out), "--set", "population.size=2000", "--set", "run.weeks=3",
                       "--jobs", "2", "--quiet"])
    assert status == 0
    return out


@pytest.fixture
def serve(tmp_path):
    """``serve(*options)`` starts a server logging to tmp_path/server-N.log; all are stopped at the end."""
    started = []

    def start(*options):
        server = Serve(tmp_path / ("server-%d.log" % len(started)), *options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def small_stream(tmp_path_factory):
    """A 300-system, 3-week Fedora-format stream with retries, its truth and summary (see minilog)."""
    return minilog.build(str(tmp_path_factory.mktemp("minilog")), systems=300, weeks=3, seed=7)


@pytest.fixture(scope="session")
def mirrors_countme(tmp_path_factory):
    """``run(log_files, name) -> (csv, totals_db, raw_db)``: the real mirrors-countme pipeline."""
    bindir = os.path.dirname(sys.executable)
    work = tmp_path_factory.mktemp("mirrors-countme")

    def run(log_files, name):
        raw, totals, dump = (str(work / (name + suffix)) for suffix in (".raw.db", ".totals.db", ".csv"))
        parse, total = (os.path.join(bindir, tool) for tool in ("countme-parse-access-log", "countme-totals"))
        subprocess.run([parse, "--sqlite", raw] + list(log_files), check=True, capture_output=True)
        subprocess.run([total, totals, "--update-from", raw, "--csv-dump", dump], check=True,
                       capture_output=True)
        return dump, totals, raw

    return run
