"""Which file --scenario reads: a regular file, else the shipped scenario of that name (never a
directory of that name); an unknown name lists the shipped ones; a file that is not UTF-8 is
named with the line and column of its first bad byte."""

import pytest

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import scenario


def test_a_directory_named_like_a_shipped_scenario_is_not_read_as_one(tmp_path, monkeypatch):
    # `countme-sim rollout --out rollout/` makes ./rollout before it loads the scenario "rollout".
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rollout").mkdir()
    shipped = dict((name, path) for name, path, _ in scenario.shipped())["rollout"]
    assert scenario.resolve("rollout") == shipped
    assert scenario.load("rollout") == scenario.load(shipped)


def test_a_file_of_a_shipped_scenario_name_is_the_users(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rollout").write_text("[run]\nweeks = 3\n")
    assert scenario.resolve("rollout") == "rollout"
    assert scenario.load("rollout")["run"]["weeks"] == 3


def test_an_unknown_name_lists_the_shipped_scenarios(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = ", ".join(name for name, _, _ in scenario.shipped())
    with pytest.raises(SimError) as raised:
        scenario.load("rollot")
    assert str(raised.value) == (
        "--scenario rollot: no such file, nor a shipped scenario (shipped: %s; see "
        "`countme-sim scenario --list`); give a TOML file's path or one of those names" % names)
    assert "rollout" in names and "default" in names


@pytest.mark.parametrize("name, expected", [
    ("absent.toml", "cannot read scenario absent.toml: No such file or directory"),
    ("conf/absent", "cannot read scenario conf/absent: No such file or directory"),
    ("adir", "cannot read scenario adir: Is a directory"),
])
def test_paths_that_are_no_file_are_named_as_unreadable(tmp_path, monkeypatch, name, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    with pytest.raises(SimError) as raised:
        scenario.load(name)
    assert str(raised.value) == expected


def test_a_scenario_that_is_not_utf8_is_named_with_its_line(tmp_path, countme_sim):
    path = tmp_path / "latin1.toml"
    path.write_bytes("[population]\nsize = 5000\n# Größe der Flotte\n".encode("latin-1"))
    status, out, err = countme_sim("scenario", "--scenario", path)
    assert status == 2 and out == ""
    assert err == ("countme-sim: scenario %s is not UTF-8 text, as TOML must be: byte 0xf6 at line 3, "
                   "column 5 (byte offset 29) is not valid UTF-8; save the file as UTF-8\n" % path)
