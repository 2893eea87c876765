"""alma_countme.optout: the opt-out state file and DO_NOT_TRACK."""

import json
import os
import stat

import pytest

from alma_countme import optout
from alma_countme.optout import EVERYTHING, NOT_OPTED_OUT, OptOut
from alma_countme.repofiles import CHANGED, Edit


def test_state_path_is_inside_the_installroot():
    assert optout.state_path("/") == "/etc/dnf/countme-optout"
    assert optout.state_path("/mnt/sysimage") == "/mnt/sysimage/etc/dnf/countme-optout"


def test_missing_file_means_not_opted_out(tmp_path):
    assert optout.read_state(str(tmp_path / "none")) == (NOT_OPTED_OUT, None)


def test_empty_file_opts_out_everything(tmp_path):
    path = tmp_path / "countme-optout"
    path.write_text("\n")
    assert optout.read_state(str(path)) == (EVERYTHING, None)


@pytest.mark.parametrize("garbage", [
    "garbage", "{", "[]", '{"format": "other"}',
    '{"format": "alma-countme-optout", "version": 7, "all": true}',
    '{"format": "alma-countme-optout", "version": 1, "all": "yes"}',
    '{"format": "alma-countme-optout", "version": 1, "all": false, "repos": [1]}',
    '{"format": "alma-countme-optout", "version": 1, "all": false, "repo_file_edits": [{"kind": "x"}]}',
])
def test_garbage_means_opted_out_of_everything_with_a_problem(tmp_path, garbage):
    path = tmp_path / "countme-optout"
    path.write_text(garbage)
    state, problem = optout.read_state(str(path))
    assert state == EVERYTHING
    assert str(path) in problem and "damaged" in problem


def test_undecodable_bytes_are_garbage_too(tmp_path):
    path = tmp_path / "countme-optout"
    path.write_bytes(b"\xff\xfe\x00")
    state, problem = optout.read_state(str(path))
    assert state == EVERYTHING and "damaged" in problem


def test_unreadable_state_means_opted_out(tmp_path):
    path = tmp_path / "countme-optout"
    path.mkdir()
    state, problem = optout.read_state(str(path))
    assert state == EVERYTHING
    assert "unreadable: Is a directory." in problem and str(path) in problem and "Errno" not in problem


def test_write_then_read_round_trip(tmp_path):
    path = str(tmp_path / "etc" / "dnf" / "countme-optout")
    edit = Edit("/etc/yum.repos.d/a.repo", "a", 7, CHANGED, b"countme=1\n", b"countme=0\n")
    state = OptOut(False, ("b", "a"), (edit,))
    optout.write_state(path, state)
    assert optout.read_state(path) == (OptOut(False, ("a", "b"), (edit,)), None)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    with open(path) as handle:
        data = json.load(handle)
    assert (data["format"], data["version"]) == ("alma-countme-optout", 1)
    assert os.listdir(os.path.dirname(path)) == ["countme-optout"]


def test_remove_state(tmp_path):
    path = tmp_path / "countme-optout"
    path.write_text("")
    assert optout.remove_state(str(path)) is True
    assert optout.remove_state(str(path)) is False


@pytest.mark.parametrize("value,expected", [
    (None, False), ("", False), ("0", False), ("false", False), ("no", False), ("off", False),
    ("1", True), ("true", True), ("yes", True), (" 1 ", True),
])
def test_do_not_track(value, expected):
    environ = {} if value is None else {"DO_NOT_TRACK": value}
    assert optout.do_not_track(environ) is expected


def test_opt_out_and_in_one_repo_or_all():
    state = optout.with_opt_out(NOT_OPTED_OUT, ["b", "a"])
    assert state == OptOut(False, ("a", "b"), ())
    assert optout.is_opted_out(state, "a") and not optout.is_opted_out(state, "c")
    assert optout.with_opt_in(state, ["a"]) == OptOut(False, ("b",), ())
    everything = optout.with_opt_out(state)
    assert optout.is_opted_out(everything, "c")
    # Opting one repo back in leaves the system-wide opt-out in force.
    assert optout.is_opted_out(optout.with_opt_in(everything, ["c"]), "c")
    assert optout.is_empty(optout.with_opt_in(everything))
