"""alma_countme.installtime: machine-id validity, the rpm database's install time, the epoch."""

import os
import shutil

import pytest
from plugintools import THURSDAY, WEEK, build_rpm, import_pubkey_at, rpm_install_at, rpmdb_entries

from alma_countme import installtime, model
from alma_countme.settings import SOURCE_MACHINE_ID, SOURCE_NONE, SOURCE_RPMDB

MACHINE_ID = "0123456789abcdef0123456789abcdef\n"


def write_machine_id(root, content, mtime=None):
    path = root / "etc" / "machine-id"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    if mtime is not None:
        os.utime(str(path), (mtime, mtime))
    return path


def test_valid_machine_id(tmp_path):
    write_machine_id(tmp_path, MACHINE_ID, THURSDAY - 10 * WEEK)
    found = installtime.machine_id(str(tmp_path), THURSDAY)
    path = str(tmp_path / "etc/machine-id")
    expected = installtime.MachineId(path, True, THURSDAY - 10 * WEEK, None, False)
    assert found == expected


@pytest.mark.parametrize("content,words", [
    (None, "does not exist"), ("", "is empty"), ("\n", "is empty"),
    ("uninitialized\n", "'uninitialized'"),
])
def test_machine_id_without_an_install_time(tmp_path, content, words):
    if content is not None:
        write_machine_id(tmp_path, content, THURSDAY - WEEK)
    found = installtime.machine_id(str(tmp_path), THURSDAY)
    assert not found.valid and not found.in_future
    assert words in found.problem and str(tmp_path / "etc/machine-id") in found.problem


def test_machine_id_in_the_future_is_not_valid(tmp_path):
    write_machine_id(tmp_path, MACHINE_ID, THURSDAY + 3600)
    found = installtime.machine_id(str(tmp_path), THURSDAY)
    assert (found.valid, found.in_future) == (False, True)
    assert "future" in found.problem


def test_machine_id_that_is_a_directory(tmp_path):
    (tmp_path / "etc" / "machine-id").mkdir(parents=True)
    found = installtime.machine_id(str(tmp_path), THURSDAY)
    assert not found.valid and "cannot read" in found.problem


def test_install_time_from_machine_id_is_monday_aligned(tmp_path, monkeypatch):
    monkeypatch.setattr(installtime, "RUNNING_ROOT", str(tmp_path))
    mtime = THURSDAY - 30 * WEEK
    write_machine_id(tmp_path, MACHINE_ID, mtime)
    found = installtime.install_time(SOURCE_MACHINE_ID, str(tmp_path), str(tmp_path), THURSDAY)
    assert (found.source, found.time, found.epoch) == (SOURCE_MACHINE_ID, mtime, model.monday_epoch(mtime))
    assert model.weeks_between(found.epoch, model.window_start(THURSDAY)) == 30


def test_install_time_none_leaves_it_to_libdnf(tmp_path):
    write_machine_id(tmp_path, MACHINE_ID, THURSDAY - WEEK)
    found = installtime.install_time(SOURCE_NONE, str(tmp_path), str(tmp_path), THURSDAY)
    assert found.epoch is None and "none" in found.problem


def test_unknown_source_raises(tmp_path):
    with pytest.raises(ValueError):
        installtime.install_time("banana", str(tmp_path), str(tmp_path), THURSDAY)


def test_no_rpm_database_is_reported_and_none_is_created(tmp_path):
    when, problem = installtime.query_rpmdb_install_time(str(tmp_path))
    assert when is None and "no rpm database" in problem
    assert os.listdir(str(tmp_path)) == []


NEEDS_RPM_TOOLS = pytest.mark.skipif(
    shutil.which("rpmbuild") is None or shutil.which("faketime") is None,
    reason="needs rpmbuild (for packages) and faketime (for their install times)")


@pytest.mark.rpmbuild
@NEEDS_RPM_TOOLS
def test_rpmdb_value_is_kept_and_not_queried_again(tmp_path):
    """The first answer is kept: once the database is gone, the same time still comes, from the cache."""
    root, persistdir = tmp_path / "root", tmp_path / "persist"
    persistdir.mkdir()
    installed = THURSDAY - 50 * WEEK
    rpm_install_at(root, build_rpm("countme-first", tmp_path), installed)
    found = installtime.install_time(SOURCE_RPMDB, str(root), str(persistdir), THURSDAY, may_write=True)
    assert (found.source, found.time, found.problem) == (SOURCE_RPMDB, installed, None)
    assert installtime.read_rpmdb_cache(str(persistdir)) == installed

    shutil.rmtree(installtime.rpmdb_path(str(root)))
    when, problem = installtime.query_rpmdb_install_time(str(root))
    assert when is None and "no rpm database" in problem  # a new query would find nothing
    again = installtime.install_time(SOURCE_RPMDB, str(root), str(persistdir), THURSDAY, may_write=True)
    assert again == found


def test_rpmdb_time_in_the_future_is_flagged(tmp_path):
    installtime.write_rpmdb_cache(str(tmp_path), THURSDAY + WEEK)
    found = installtime.install_time(SOURCE_RPMDB, str(tmp_path), str(tmp_path), THURSDAY)
    assert found.epoch is None and found.in_future and "future" in found.problem


@pytest.mark.rpmbuild
@NEEDS_RPM_TOOLS
def test_rpmdb_install_time_is_the_oldest_package_not_the_gpg_pubkey(tmp_path):
    root = tmp_path / "root"
    older, newer, key = 1735787045, 1748746800, 1704164645  # 2025-01-02, 2025-06-01, 2024-01-02 (UTC)
    # The newer package goes in first: the oldest INSTALLTIME, not the first entry, is the answer.
    rpm_install_at(root, build_rpm("countme-newer", tmp_path), newer)
    rpm_install_at(root, build_rpm("countme-older", tmp_path), older)
    import_pubkey_at(root, key, tmp_path)  # older still, but a key is not an installed package
    assert rpmdb_entries(root) == [("countme-newer", newer), ("countme-older", older), ("gpg-pubkey", key)]
    assert installtime.query_rpmdb_install_time(str(root)) == (older, None)


@pytest.mark.parametrize("content,counts", [
    (None, False), ("", False), ("uninitialized\n", False), ("  uninitialized  \n", False),
    ("\n", True), (MACHINE_ID, True),
])
def test_machine_id_as_libdnf_074_and_dnf5_read_it(tmp_path, content, counts):
    """Their rule (shown by tests/plugin/test_real_clients.py): size and first word only, no clock check."""
    future = THURSDAY + 5 * WEEK
    if content is not None:
        write_machine_id(tmp_path, content, future)
    assert installtime.libdnf_machine_id_mtime(str(tmp_path)) == (future if counts else None)
