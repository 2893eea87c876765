"""Fixtures for the simulator's tests: the CLI in this process, small generated runs, file trees."""

import pytest

from alma_countme.sim import cli


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
