"""Atomic replacement of the files the project writes on a system."""

import os
import stat

import pytest

from alma_countme import atomicfile


def test_replace_keeps_mode_owner_and_symlink(tmp_path):
    target = tmp_path / "real.repo"
    target.write_bytes(b"old")
    os.chmod(str(target), 0o640)
    os.chown(str(target), 4321, 8765)
    link = tmp_path / "link.repo"
    link.symlink_to(target)
    atomicfile.replace_file(str(link), b"new")
    assert link.is_symlink()
    info = os.stat(str(target))
    assert target.read_bytes() == b"new"
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 4321, 8765)
    assert sorted(os.listdir(str(tmp_path))) == ["link.repo", "real.repo"]


def test_replace_leaves_no_temporary_file_when_it_fails(tmp_path, mocker):
    target = tmp_path / "a.repo"
    target.write_bytes(b"old")
    mocker.patch("os.rename", side_effect=OSError(30, "Read-only file system"))
    with pytest.raises(OSError):
        atomicfile.replace_file(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(str(tmp_path)) == ["a.repo"]


def test_replace_creates_a_new_file_with_the_given_mode(tmp_path):
    target = tmp_path / "countme"
    atomicfile.replace_file(str(target), b"0 1 2 3", mode=0o600)
    assert target.read_bytes() == b"0 1 2 3"
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    assert os.listdir(str(tmp_path)) == ["countme"]
