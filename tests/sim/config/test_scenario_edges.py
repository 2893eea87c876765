"""Scenario edges: the last dates the logs can hold, rollout weeks past the run, --set of a per-major
table, os-release's VARIANT_ID rule, a UTF-8 byte-order mark."""

import pytest

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import scenario


def test_a_run_that_ends_after_9999_is_refused_with_the_latest_start_and_weeks():
    with pytest.raises(SimError) as refused:
        scenario.load(assignments=["run.start=9999-12-13", "run.weeks=4"])
    assert str(refused.value) == (
        "--set run.start=9999-12-13; --set run.weeks=4: keys run.start and run.weeks: 4 weeks from "
        "9999-12-13 end after 9999-12-31, the last date the simulator can write; allowed: run.start "
        "9999-11-29 or earlier for run.weeks=4, or run.weeks=2 or fewer")
    # What the message offers is allowed.
    assert scenario.load(assignments=["run.start=9999-11-29", "run.weeks=4"])["run"]["weeks"] == 4
    assert scenario.load(assignments=["run.start=9999-12-13", "run.weeks=2"])["run"]["weeks"] == 2


def test_a_rollout_week_after_the_run_is_refused():
    with pytest.raises(SimError) as refused:
        scenario.load(assignments=["run.weeks=4", 'rollout.plugin_share_by_week={"4" = 0.5}'])
    assert str(refused.value) == (
        "--set rollout.plugin_share_by_week={\"4\" = 0.5}: key rollout.plugin_share_by_week: week 4 is after "
        "the run's 4 weeks (0 = first); give run.weeks=5 or more, or drop week 4")
    last = scenario.load(assignments=["run.weeks=4", 'rollout.plugin_share_by_week={"3" = 0.5}'])
    assert last["rollout"]["plugin_share_by_week"] == {"3": 0.5}


def test_set_of_a_per_major_table_changes_only_the_majors_it_names():
    # As a file's table does: "8" and "10" keep the default's values, nothing blames the default.
    changed = scenario.load(assignments=['versions.metadata_expire={"9" = 3600}'])
    default = scenario.load()["versions"]["metadata_expire"]
    assert changed["versions"]["metadata_expire"] == dict(default, **{"9": 3600})


def test_variant_id_names_os_releases_rule():
    with pytest.raises(SimError) as refused:
        scenario.load(assignments=["os_release.variant_id=Server X"])
    assert str(refused.value) == (
        "--set os_release.variant_id=Server X: key os_release.variant_id: 'Server X' is not allowed; "
        "allowed: 1 to 40 characters of 0-9, a-z, '.', '_' and '-' (os-release's VARIANT_ID: lower case, "
        "no spaces)")
    assert scenario.load(assignments=["os_release.variant_id=workstation.x_1-2"])


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "notepad.toml"
    path.write_bytes(b"\xef\xbb\xbf[population]\r\nsize = 77\r\n")
    assert scenario.load(str(path))["population"]["size"] == 77
