"""`countme-sim compare`: real countme totals (Fedora 2020) against a simulation's, week by week."""

import json
import os
import pathlib

import pytest

from alma_countme.sim.reports import compare

HERE = pathlib.Path(__file__).resolve().parent.parent
EXCERPT = HERE / "data" / "fedora-countme-2020" / "totals-excerpt.csv"


def _shared_data():
    """The full data: /work/shared, else ../shared beside the clone (as CI lays it out)."""
    for base in (pathlib.Path("/work/shared"), HERE.parents[2] / "shared"):
        path = base / "data" / "fedora-countme-2020" / "totals.csv"
        if path.is_file():
            return path
    return None


REAL = _shared_data()


@pytest.fixture(scope="module")
def counting_starts(tmp_path_factory):
    from alma_countme.sim.commands import cli

    out = tmp_path_factory.mktemp("cs") / "out"
    assert cli.main(["generate", "--out", str(out), "--scenario", "counting-starts", "--set",
                     "population.size=2500", "--set", "run.weeks=30", "--jobs", "2", "--quiet"]) == 0
    return out


def test_reference_repos_match_one_repo_per_system():
    assert compare.matches("updates-released-f32", "updates-released")
    assert not compare.matches("updates-released-modular-f32", "updates-released")
    assert compare.matches("baseos", "baseos") and compare.matches("almalinux-baseos-9", "baseos")
    assert not compare.matches("appstream", "baseos")


def test_excerpt_keeps_its_licence_beside_it():
    assert "MIT License" in (EXCERPT.parent / "LICENSE").read_text()


def test_compare_on_the_committed_excerpt(counting_starts, countme_sim, tmp_path):
    picture = tmp_path / "compare.png"
    status, out, err = countme_sim("compare", "--real", EXCERPT, counting_starts, "--json", "--plot", picture)
    assert status == 0, err
    report = json.loads(out)
    real, sim = report["real"], report["simulation"]
    assert real["weeks"][0]["week_start"] == "2020-02-10" == sim["weeks"][0]["week_start"]
    # Counting starts on the legacy rule: nearly every hit of the first weeks says bucket 1, on both sides.
    for side in (real, sim):
        assert side["weeks"][0]["bucket_shares"]["1"] > 95
        assert side["weeks"][1]["bucket_shares"]["1"] > 95
    # Bucket 2 appears within a few weeks on both; bucket 4 not within the excerpt's 14 weeks.
    assert 1 <= real["weeks_until_bucket_appears"]["2"] <= 4
    assert 1 <= sim["weeks_until_bucket_appears"]["2"] <= 4
    assert real["weeks_until_bucket_appears"]["4"] is None
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    status, text, _ = countme_sim("compare", "--real", EXCERPT, counting_starts)
    # The text says what the JSON says.
    until = [side["weeks_until_bucket_appears"]["2"] for side in (real, sim)]
    assert status == 0 and "bucket 2: real %d, simulation %d" % tuple(until) in text


@pytest.mark.skipif(REAL is None, reason="the full Fedora 2020 data (../shared/data/fedora-countme-2020) "
                                         "is not beside this clone")
def test_compare_on_the_full_fedora_2020_data(counting_starts):
    report = compare.compare(str(REAL), str(counting_starts))
    real, sim = report["real"], report["simulation"]
    assert len(real["weeks"]) == 41  # 2020-02-10 .. 2020-11-16
    # The real data's mechanisms: bucket 4 only after 25 weeks of counting (legacy epochs) ...
    assert real["weeks_until_bucket_appears"]["4"] >= 25
    assert sim["weeks_until_bucket_appears"]["4"] == 25
    # ... and a major release's upgrade wave raises bucket 1 within a week or two (Fedora 32, week 11).
    share = [week["bucket_shares"]["1"] for week in real["weeks"]]
    assert share[11] > share[10] + 10
    sim_share = [week["bucket_shares"]["1"] for week in sim["weeks"]]
    assert max(sim_share[11:14]) > sim_share[10] + 3
    assert os.path.basename(report["real"]["path"]) == "totals.csv"


def test_compare_refuses_a_file_without_countme_rows(tmp_path, countme_sim, counting_starts):
    empty = tmp_path / "empty.csv"
    empty.write_text("week_start,week_end,hits,os_name,os_version,os_variant,os_arch,sys_age,repo_tag,"
                     "repo_arch\n")
    status, _, err = countme_sim("compare", "--real", empty, counting_starts)
    assert status == 2 and "no countme rows" in err


def _one_error_line(err):
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("countme-sim: "), err
    return lines[0]


def test_compare_refuses_a_real_reference_repo_the_real_data_lacks(countme_sim, small_run):
    # AlmaLinux totals (a simulation's truth.csv) under the default, Fedora's updates-released.
    truth = small_run / "truth.csv"
    status, out, err = countme_sim("compare", "--real", truth, small_run)
    assert status == 2 and out == ""
    line = _one_error_line(err)
    assert line.startswith("countme-sim: --real-reference updates-released: no countme hits on that repo "
                           "in %s" % truth)
    assert "repos there (most countme hits first): " in line and "baseos" in line and "appstream" in line
    assert "--real-reference REPO" in line


def test_compare_names_the_repos_of_fedora_data_for_a_mistyped_reference(countme_sim, small_run):
    status, out, err = countme_sim("compare", "--real", EXCERPT, small_run, "--real-reference", "nosuchrepo")
    assert status == 2 and out == ""
    line = _one_error_line(err)
    assert "--real-reference nosuchrepo: no countme hits on that repo in %s" % EXCERPT in line
    # Release suffixes are left out: the names are what the option takes.
    assert "(most countme hits first): updates-released, fedora;" in line and "-f31" not in line


def test_compare_refuses_a_simulation_reference_repo_it_lacks(countme_sim, small_run):
    status, _, err = countme_sim("compare", "--real", EXCERPT, small_run, "--sim-reference", "bseos")
    assert status == 2
    line = _one_error_line(err)
    assert line.startswith("countme-sim: --sim-reference bseos: no countme hits on that repo in %s"
                           % (small_run / "truth.csv"))
    assert "baseos" in line and "--sim-reference REPO" in line
