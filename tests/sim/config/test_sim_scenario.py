"""Scenarios: the shipped default, files over it, --set; bad keys named with their file and allowed values."""

import datetime

import pytest

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import scenario
from alma_countme.sim.config.dump import to_toml


def write(tmp_path, text, name="mine.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_default_scenario_is_valid_and_documented():
    default = scenario.load()
    assert default["run"]["start"].weekday() == 0 and default["population"]["size"] == 750000
    rows = scenario.describe_keys()
    keys = {key for key, _, _, _ in rows}
    assert {"population.size", "classes.desktop.timezones", "behaviour.9", "noise.mix"} <= keys
    assert all(doc and allowed for _, allowed, _, doc in rows)


def test_a_file_changes_only_its_keys_and_set_wins(tmp_path):
    path = write(tmp_path, '[population]\nsize = 1234\n[versions]\nmetadata_expire = { "9" = 3600 }\n')
    result = scenario.load(path, ["population.size=99", "classes.desktop.on_weekend=0.5",
                                  "output.format=fedora", 'versions.mix={"9.7" = 1.0}'])
    default = scenario.load()
    assert result["population"]["size"] == 99
    assert result["versions"]["metadata_expire"] == {"8": 172800, "9": 3600, "10": 86400}
    assert result["versions"]["mix"] == {"9.7": 1.0}
    assert result["output"]["format"] == "fedora" and result["classes"]["desktop"]["on_weekend"] == 0.5
    assert result["classes"]["server"] == default["classes"]["server"]


def test_effective_scenario_round_trips_through_toml(tmp_path):
    changed = scenario.load(assignments=["run.start=2025-01-06", "versions.releases={\"9.8\" = 1}",
                                         "os_release.rebranded_name=Some Linux"])
    path = write(tmp_path, to_toml(changed), "effective.toml")
    assert scenario.load(path) == changed
    assert changed["run"]["start"] == datetime.date(2025, 1, 6)


@pytest.mark.parametrize("text, expected", [
    ("[population]\nsise = 5\n",
     r"mine\.toml: unknown key 'population\.sise' in population; allowed keys: size, "),
    ("[nonsense]\nx = 1\n",
     r"mine\.toml: unknown key 'nonsense' in the top level; allowed keys: run, output, "),
    ("[population]\nsize = -5\n",
     r"mine\.toml: key population\.size: -5 is out of range; allowed: an integer from 1 to 20000000"),
    ("[run]\nstart = 2026-11-17\n", r"key run\.start: 2026-11-17 is a Tuesday; allowed: a date .* Monday"),
    ("[output]\nformat = \"json\"\n",
     r"key output\.format: 'json' is not allowed; allowed: one of: almalinux, fedora"),
    ("[arches]\nmix = { x86_64 = 0.5, sparc = 0.5 }\n",
     r"key arches\.mix: 'sparc' is not an allowed name; allowed: .*NAME: x86_64, aarch64, ppc64le, s390x"),
    ("[noise]\nmix = { curl = 0.5 }\n", r"key noise\.mix: shares add up to 0\.5, not 1"),
    ("[versions]\nmetadata_expire = { \"9\" = \"daily\" }\n",
     r"key versions\.metadata_expire: \"9\": not an integer"),
    ("[versions]\nmetadata_expire = { \"9\" = 60 }\n",
     r"key versions\.metadata_expire: \"9\": 60 is out of range; allowed: .* an integer from 3600"),
    ("[classes.desktop]\ntimezones = { \"25\" = 1.0 }\n",
     r"key classes\.desktop\.timezones: '25' is not an allowed"),
    ("[classes.server]\nshare = 0.9\n",
     r"default scenario .*; scenario .*mine\.toml: keys classes\.<class>\.share add up to 1\.332"),
    ("[versions]\nreleases = { \"9.8\" = 4 }\n",
     r"key versions\.releases: 9\.8 comes out in week 4, after the run.s 4 weeks; give run\.weeks=5 or more"),
    ("[population\n", r"scenario .*mine\.toml is not valid TOML"),
])
def test_bad_files_name_the_key_the_file_and_what_is_allowed(tmp_path, text, expected):
    with pytest.raises(SimError, match=expected):
        scenario.load(write(tmp_path, text))


@pytest.mark.parametrize("assignment, expected", [
    ("population.size", r"--set population\.size: expected KEY=VALUE"),
    ("population=5",
     r"--set population=5: population is a table; set one of its keys: size, growth_per_week"),
    ("noise.mix.curl=1", r"noise\.mix takes a whole value: a table \{NAME = SHARE, \.\.\.\}"),
    ("versions.metadata_expire.7=1", r"unknown key 'versions\.metadata_expire\.7' .* allowed keys: 8, 9, 10"),
    ("run.weeks=0",
     r"--set run\.weeks=0: key run\.weeks: 0 is out of range; allowed: an integer from 1 to 520"),
])
def test_bad_assignments_are_named(assignment, expected):
    with pytest.raises(SimError, match=expected):
        scenario.load(assignments=[assignment])


def test_missing_file_is_named(tmp_path):
    with pytest.raises(SimError, match=r"cannot read scenario .*absent\.toml"):
        scenario.load(str(tmp_path / "absent.toml"))
