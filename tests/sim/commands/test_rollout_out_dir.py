"""countme-sim rollout into a directory named like its scenario: ``--out rollout/`` makes ./rollout
before the shipped scenario "rollout" is loaded, and that directory is no scenario file."""

import json


def test_rollout_out_named_like_the_scenario_in_an_empty_directory(tmp_path, monkeypatch, countme_sim):
    monkeypatch.chdir(tmp_path)
    status, _, err = countme_sim("rollout", "--out", "rollout/", "--set", "population.size=2000", "--jobs", 2,
                                 "--json", "--quiet")
    assert status == 0, err
    report = json.loads((tmp_path / "rollout" / "rollout.json").read_text())
    assert set(report["runs"]) == {"with_plugin", "without_plugin"}
    # The shipped rollout scenario ran: its plugin rollout is in the with-plugin run's scenario.
    runs = tmp_path / "rollout"
    assert "plugin_share_by_week = { " in (runs / "with-plugin" / "scenario.toml").read_text()
    assert "plugin_share_by_week = {}" in (runs / "without-plugin" / "scenario.toml").read_text()
    # Without --logs a run writes no logs, and makes no empty directories for them.
    assert not (runs / "with-plugin" / "logs").exists() and not (runs / "without-plugin" / "logs").exists()
