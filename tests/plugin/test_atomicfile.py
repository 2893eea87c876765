"""Atomic replacement of the files the project writes on a system."""

import errno
import os
import stat

import pytest
from plugintools import read_only_bind_mount

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


@pytest.mark.parametrize("mounted,error", [
    # The directory read-only: no temporary file can be made at all.
    ("directory", errno.EROFS),
    # The file itself bind-mounted read-only (as containers mount single files): the temporary file
    # is made and written, then the rename onto the mount point fails and it must be removed again.
    ("file", errno.EBUSY),
])
def test_replace_on_a_read_only_mount_fails_and_leaves_no_temporary_file(tmp_path, mounted, error):
    directory = tmp_path / "repos"
    directory.mkdir()
    target = directory / "a.repo"
    target.write_bytes(b"old")
    with read_only_bind_mount(directory if mounted == "directory" else target):
        with pytest.raises(OSError) as raised:
            atomicfile.replace_file(str(target), b"new")
        assert raised.value.errno == error
        assert target.read_bytes() == b"old"
        assert os.listdir(str(directory)) == ["a.repo"]


def test_replace_creates_a_new_file_with_the_given_mode(tmp_path):
    target = tmp_path / "countme"
    atomicfile.replace_file(str(target), b"0 1 2 3", mode=0o600)
    assert target.read_bytes() == b"0 1 2 3"
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    assert os.listdir(str(tmp_path)) == ["countme"]
