"""The rollout scenario and `countme-sim rollout`: countme switched on for a legacy fleet, with and
without the plugin, and the weeks from which each bucket can be trusted."""

import json

import pytest

from alma_countme.sim.config import scenario
from alma_countme.sim.config.specs import schedule_at
from alma_countme.sim.reports import rollout


def test_rollout_scenario_is_listed_and_loads_by_name(countme_sim):
    status, out, _ = countme_sim("scenario", "--list")
    assert status == 0
    assert "rollout" in out.split() and "default" in out.split()
    loaded = scenario.load("rollout")
    assert loaded["rollout"]["plugin_share_by_week"]["6"] == 0.95
    assert loaded["versions"]["countme_since"]["9"] == loaded["run"]["start"]
    assert loaded["behaviour"]["9"]["legacy"] > 0.9


@pytest.mark.parametrize("value, reason", [
    ('{ "2" = 0.5, "4" = 0.3 }', "drops in week 4"),
    ('{ "x" = 0.5 }', "not a week number"),
    ('{ "1" = 1.5 }', "not between 0 and 1"),
])
def test_plugin_schedule_rejects_bad_values(value, reason):
    with pytest.raises(Exception, match=reason):
        scenario.load(None, ["rollout.plugin_share_by_week=" + value])


def test_schedule_steps():
    schedule = {"1": 0.25, "4": 0.8}
    assert [schedule_at(schedule, week) for week in range(6)] == [0.0, 0.25, 0.25, 0.25, 0.8, 0.8]


def test_trusted_from_is_the_first_week_that_stays_within():
    weeks = [{"buckets": {"1": {"gap_points": gap}}} for gap in (9.0, 1.0, 7.0, 1.0, -2.0, 0.5)]
    assert rollout.trusted_from(weeks, "1", 2.0) == 3
    assert rollout.trusted_from(weeks, "1", 0.1) is None
    assert rollout.trusted_from(weeks, "1", 10.0) == 0


@pytest.mark.slow
def test_rollout_command_with_and_without_plugin(countme_sim, tmp_path):
    out = tmp_path / "rollout"
    status, text, err = countme_sim("rollout", "--out", out, "--set", "population.size=3000",
                                    "--set", "run.weeks=28", "--jobs", "2", "--json")
    assert status == 0, err
    report = json.loads(text)
    assert report == json.loads((out / "rollout.json").read_text())
    assert (out / "rollout.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "bucket" in (out / "rollout.txt").read_text().splitlines()[2]
    with_plugin = json.loads((out / "with-plugin" / "summary.json").read_text())
    without = json.loads((out / "without-plugin" / "summary.json").read_text())
    # Counting starts with the run on the legacy rule: every hit of the first week says bucket 1.
    for summary in (with_plugin, without):
        first = summary["weeks"][0]["countme_estimate_by_bucket"]
        assert first["1"] > 0 and first["2"] == first["3"] == first["4"] == 0
    assert not list((out / "with-plugin").glob("logs/*/*"))  # no logs unless --logs
    # Without the plugin, bucket 4 appears only after 25 weeks of counting (legacy epochs).
    assert all(week["countme_estimate_by_bucket"]["4"] == 0 for week in without["weeks"][:25])
    assert without["weeks"][26]["countme_estimate_by_bucket"]["4"] > 0
    # The plugin reaches the fleet and brings the buckets in far earlier.
    assert with_plugin["weeks"][10]["active_by_behaviour"]["plugin"] > 0.8 * with_plugin["weeks"][10][
        "active_systems"]
    assert without["weeks"][10]["active_by_behaviour"]["plugin"] == 0
    trusted = {name: report["runs"][name]["trusted_from"]["4"] for name in rollout.RUNS}
    assert trusted["without_plugin"]["week"] >= 25
    assert trusted["with_plugin"]["week"] <= 8
