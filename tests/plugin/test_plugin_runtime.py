"""alma_countme.runtime: what the plugin's config() hook decides and writes on every dnf run."""

import os

import pytest
from plugintools import THURSDAY, WEEK

from alma_countme import installtime, runtime
from alma_countme.cookie import cookie_path, parse_cookie
from alma_countme.model import monday_epoch
from alma_countme.optout import OptOut, state_path, write_state
from alma_countme.settings import DEFAULT_SETTINGS, Settings

MIRRORLIST = "https://mirrors.almalinux.org/mirrorlist/9/baseos"
BASEOS = runtime.RepoView("baseos", True, True, None, MIRRORLIST, [])


@pytest.fixture
def root(tmp_path, monkeypatch):
    # The plugin reads the running system's machine-id; this unit test's root stands for it.
    monkeypatch.setattr(installtime, "RUNNING_ROOT", str(tmp_path))
    (tmp_path / "etc").mkdir()
    (tmp_path / "var/lib/dnf").mkdir(parents=True)
    machine_id = tmp_path / "etc" / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    os.utime(str(machine_id), (THURSDAY - 30 * WEEK,) * 2)
    return tmp_path


def test_nothing_off_without_opt_out_or_do_not_track(root):
    assert runtime.choices(["a", "b"], str(root), {}) == ({}, [])


def test_do_not_track_switches_every_repo_off(root):
    off, warnings = runtime.choices(["a", "b"], str(root), {"DO_NOT_TRACK": "1"})
    assert dict(off) == {"a": runtime.DO_NOT_TRACK, "b": runtime.DO_NOT_TRACK}
    assert warnings == []


def test_opt_out_of_one_repo(root):
    write_state(state_path(str(root)), OptOut(False, ("b",), ()))
    off, _ = runtime.choices(["a", "b"], str(root), {})
    assert dict(off) == {"b": runtime.OPTED_OUT}


def test_garbage_opt_out_file_switches_everything_off_with_one_warning(root):
    (root / "etc" / "dnf").mkdir()
    (root / "etc" / "dnf" / "countme-optout").write_text("garbage")
    off, warnings = runtime.choices(["a", "b"], str(root), {})
    assert dict(off) == {"a": runtime.OPTED_OUT, "b": runtime.OPTED_OUT}
    assert len(warnings) == 1 and "countme-optout" in warnings[0]


def test_counted_repos_need_enabled_countme_and_a_mirror_url():
    repos = [
        BASEOS,
        runtime.RepoView("off", True, False, None, MIRRORLIST, []),
        runtime.RepoView("disabled", False, True, None, MIRRORLIST, []),
        runtime.RepoView("baseurl", True, True, None, None, ["https://repo/"]),
        runtime.RepoView("metalink", True, True, "https://mirrors/metalink?repo=x", None, []),
    ]
    assert [repo.id for repo in runtime.counted_repos(repos)] == ["baseos", "metalink"]


def write(root, settings=DEFAULT_SETTINGS, version="0.69.0", uid=0, repos=(BASEOS,)):
    return runtime.write_install_epochs(list(repos), str(root), str(root / "var/lib/dnf"), settings,
                                        version, uid, THURSDAY)


def test_install_epoch_written_on_legacy_libdnf_as_root(root):
    outcome = write(root)
    assert outcome.skipped is None and outcome.warnings == []
    path = cookie_path(str(root / "var/lib/dnf"), "baseos", None, MIRRORLIST)
    with open(path) as handle:
        assert parse_cookie(handle.read()).epoch == monday_epoch(THURSDAY - 30 * WEEK)


@pytest.mark.parametrize("kwargs,why", [
    ({"uid": 1000}, "not root"),
    ({"version": "0.73.2"}, "/etc/machine-id itself"),
    ({"settings": Settings("none")}, "epoch_source=none"),
    ({"repos": ()}, "no repository counts"),
])
def test_epoch_step_skipped(root, kwargs, why):
    outcome = write(root, **kwargs)
    assert why in outcome.skipped
    assert not (root / "var/lib/dnf/repos").exists()


@pytest.mark.parametrize("content,mtime,warned", [
    (None, None, False), ("", THURSDAY - WEEK, False), ("uninitialized\n", THURSDAY - WEEK, False),
    ("0123456789abcdef0123456789abcdef\n", THURSDAY + WEEK, True),
])
def test_without_a_valid_machine_id_libdnf_decides(root, content, mtime, warned):
    machine_id = root / "etc" / "machine-id"
    if content is None:
        machine_id.unlink()
    else:
        machine_id.write_text(content)
        os.utime(str(machine_id), (mtime, mtime))
    outcome = write(root)
    assert outcome.fixes == [] and outcome.skipped
    assert not (root / "var/lib/dnf/repos").exists()
    assert len(outcome.warnings) == (1 if warned else 0)
    if warned:
        assert "future" in outcome.warnings[0] and str(machine_id) in outcome.warnings[0]


def test_cookie_problem_gives_one_warning_per_repo(root):
    path = cookie_path(str(root / "var/lib/dnf"), "baseos", None, MIRRORLIST)
    os.makedirs(path)
    outcome = write(root)
    assert len(outcome.warnings) == 1
    assert "is a directory" in outcome.warnings[0] and "dnf goes on" in outcome.warnings[0]
