"""plot, rollout and compare: outputs that cannot be written, options that would be ignored and runs that
do not line up are one line and exit 2, before anything is written."""

import json
import pathlib
import shutil

import pytest

from alma_countme.sim.common.errors import SimError

HERE = pathlib.Path(__file__).resolve().parent.parent
EXCERPT = HERE / "data" / "fedora-countme-2020" / "totals-excerpt.csv"


def _error(result):
    status, out, err = result
    assert status == 2 and out == "", (status, out, err)
    assert err.startswith("countme-sim: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()[len("countme-sim: "):]


@pytest.fixture(scope="module")
def late_run(tmp_path_factory):
    """A run like small_run but starting 11 years later (2037-12-28)."""
    from alma_countme.sim.commands import cli

    out = tmp_path_factory.mktemp("late") / "out"
    assert cli.main(["generate", "--out", str(out), "--set", "population.size=2000", "--set", "run.weeks=3",
                     "--set", "run.start=2037-12-28", "--jobs", "2", "--quiet"]) == 0
    return out


def _copy_run(run, target, change=None):
    """summary.json and scenario.toml of ``run`` in ``target``; ``change(summary)`` edits the summary."""
    target.mkdir()
    shutil.copy(run / "scenario.toml", target / "scenario.toml")
    summary = json.loads((run / "summary.json").read_text())
    if change:
        change(summary)
    (target / "summary.json").write_text(json.dumps(summary))
    return target


# ---- a PNG path that is a directory ----------------------------------------------------------------

def test_compare_plot_into_a_directory(small_run, tmp_path, countme_sim):
    (tmp_path / "d").mkdir()
    message = _error(countme_sim("compare", "--real", EXCERPT, small_run, "--real-reference",
                                 "updates-released", "--plot", tmp_path / "d"))
    assert message == "--plot %s is a directory, not a file" % (tmp_path / "d")


def test_plot_over_a_directory_writes_nothing(small_run, tmp_path, countme_sim):
    out = tmp_path / "pl"
    (out / "systems-per-week.png").mkdir(parents=True)
    message = _error(countme_sim("plot", small_run, "--out", out))
    assert message == ("--out %s: %s is a directory, not a file; remove it or write elsewhere"
                       % (out, out / "systems-per-week.png"))
    assert sorted(p.name for p in out.iterdir()) == ["systems-per-week.png"]


def test_rollout_png_over_a_directory_writes_nothing(small_run, tmp_path, countme_sim):
    out = tmp_path / "ry"
    (out / "rollout.png").mkdir(parents=True)
    message = _error(countme_sim("rollout", "--out", out, "--from-runs", small_run, small_run))
    assert message == ("--out %s: %s is a directory, not a file; remove it or write elsewhere"
                       % (out, out / "rollout.png"))
    assert sorted(p.name for p in out.iterdir()) == ["rollout.png"]  # no rollout.txt, rollout.json


def test_a_failed_png_write_is_a_sim_error(small_run, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from alma_countme.sim.reports import plot

    (tmp_path / "x.png").mkdir()
    with pytest.raises(SimError, match="^cannot write .*x.png: Is a directory"):
        plot.plot_mix(plot.load_summary(str(small_run)), str(tmp_path / "x.png"), 400, 300)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # the temporary file is gone


# ---- rollout --from-runs ---------------------------------------------------------------------------

@pytest.mark.parametrize("extra, named", [
    (("--set", "population.size=100"), "--set"),
    (("--seed", "5"), "--seed"),
    (("--scenario", "rollout"), "--scenario"),
    (("--logs",), "--logs"),
    (("--jobs", "2"), "--jobs"),
    (("--seed", "5", "--logs"), "--seed, --logs"),
])
def test_rollout_from_runs_refuses_simulation_options(small_run, tmp_path, countme_sim, extra, named):
    out = tmp_path / "out"
    message = _error(countme_sim("rollout", "--out", out, "--from-runs", small_run, small_run, *extra))
    assert message.startswith("%s with --from-runs: the two runs are read as they are" % named)
    assert not out.exists()


def test_rollout_from_runs_refuses_runs_of_other_starts(small_run, late_run, tmp_path, countme_sim):
    out = tmp_path / "out"
    message = _error(countme_sim("rollout", "--out", out, "--from-runs", small_run, late_run))
    assert message.startswith("--from-runs %s %s: the runs differ in start 2026-11-16 and 2037-12-28;"
                              % (small_run, late_run))
    assert not out.exists()


def test_rollout_from_runs_refuses_other_sizes_and_lengths(small_run, tmp_path, countme_sim):
    def smaller(summary):
        summary["scenario"]["population"]["size"] = 1000

    def shorter(summary):
        del summary["weeks"][-1]
        summary.pop("scenario")  # then scenario.toml says the rest

    other = _copy_run(small_run, tmp_path / "smaller", smaller)
    message = _error(countme_sim("rollout", "--out", tmp_path / "o1", "--from-runs", small_run, other))
    assert "the runs differ in population size 2000 and 1000;" in message
    other = _copy_run(small_run, tmp_path / "shorter", shorter)
    message = _error(countme_sim("rollout", "--out", tmp_path / "o2", "--from-runs", other, small_run))
    assert "the runs differ in weeks 2 and 3;" in message


def test_rollout_from_runs_of_one_shape_works(small_run, tmp_path, countme_sim):
    status, out, err = countme_sim("rollout", "--out", tmp_path / "r", "--from-runs", small_run, small_run,
                                   "--json", "--quiet")
    assert status == 0, err
    assert len(json.loads(out)["runs"]["with_plugin"]["weeks"]) == 3
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["rollout.json", "rollout.png",
                                                                   "rollout.txt"]


# ---- plot --reference-repo -------------------------------------------------------------------------

def test_plot_refuses_an_unknown_reference_repo_listing_the_totals_repos(small_run, tmp_path, countme_sim):
    out = tmp_path / "pl"
    message = _error(countme_sim("plot", small_run, "--out", out, "--totals", small_run / "truth.csv",
                                 "--reference-repo", "nosuch"))
    assert message.startswith("--reference-repo nosuch: no countme hits on that repo in %s; repos there "
                              "(most countme hits first): " % (small_run / "truth.csv"))
    assert "baseos" in message and message.endswith("; name one with --reference-repo REPO")
    assert not out.exists()
    assert countme_sim("plot", small_run, "--out", out, "--totals", small_run / "truth.csv",
                       "--reference-repo", "baseos")[0] == 0


def test_plot_refuses_a_reference_repo_without_totals(small_run, tmp_path, countme_sim):
    message = _error(countme_sim("plot", small_run, "--out", tmp_path / "pl", "--reference-repo", "baseos"))
    assert message.startswith("--reference-repo baseos: only the server's totals are counted on it; give "
                              "--totals FILE too")
    assert not (tmp_path / "pl").exists()
