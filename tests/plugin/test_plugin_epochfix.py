"""alma_countme.epochfix: the install epoch goes into a cookie, nothing else changes."""

import errno
import os
import stat

import pytest
from plugintools import MONDAY, WEEK

from alma_countme import epochfix
from alma_countme.cookie import parse_cookie
from alma_countme.model import Cookie

EPOCH = MONDAY - 10 * WEEK


@pytest.fixture
def cookie(tmp_path):
    return tmp_path / "repos" / "baseos-0123456789abcdef" / "countme"


def test_missing_cookie_is_created_with_libdnf_defaults(cookie):
    fix = epochfix.fix_cookie("baseos", str(cookie), EPOCH)
    assert (fix.action, fix.problem) == (epochfix.WRITTEN, None)
    assert cookie.read_text() == "0 %d 345600 -1" % EPOCH
    assert stat.S_IMODE(os.stat(str(cookie.parent)).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(cookie)).st_mode) == 0o644


def test_window_and_budget_are_kept(cookie):
    cookie.parent.mkdir(parents=True)
    cookie.write_text("0 %d %d 3" % (MONDAY - WEEK, MONDAY))
    fix = epochfix.fix_cookie("baseos", str(cookie), EPOCH)
    assert fix.action == epochfix.WRITTEN
    assert parse_cookie(cookie.read_text()) == Cookie(0, EPOCH, MONDAY, 3)


def test_same_epoch_is_not_rewritten(cookie):
    cookie.parent.mkdir(parents=True)
    cookie.write_text("0 %d %d 2" % (EPOCH, MONDAY))
    os.utime(str(cookie), (1000, 1000))
    fix = epochfix.fix_cookie("baseos", str(cookie), EPOCH)
    assert (fix.action, fix.cookie) == (epochfix.UNCHANGED, Cookie(0, EPOCH, MONDAY, 2))
    assert os.stat(str(cookie)).st_mtime == 1000


@pytest.mark.parametrize("text,expected", [
    ("garbage", Cookie(0, EPOCH, 345600, -1)),
    ("0 12345", Cookie(0, EPOCH, 345600, -1)),  # truncated: libdnf keeps its defaults for the rest
    ("0 5 %d x" % MONDAY, Cookie(0, EPOCH, MONDAY, 0)),  # libdnf reads a field without digits as 0
])
def test_damaged_cookie_is_rewritten_as_libdnf_reads_it_with_a_problem(cookie, text, expected):
    cookie.parent.mkdir(parents=True)
    cookie.write_text(text)
    fix = epochfix.fix_cookie("baseos", str(cookie), EPOCH)
    assert fix.action == epochfix.WRITTEN
    assert parse_cookie(cookie.read_text()) == expected
    assert "damaged" in fix.problem and str(cookie) in fix.problem


def test_cookie_path_that_is_a_directory_fails_cleanly(cookie):
    cookie.mkdir(parents=True)
    fix = epochfix.fix_cookie("baseos", str(cookie), EPOCH)
    assert fix.action == epochfix.FAILED
    assert "is a directory" in fix.problem and str(cookie) in fix.problem
    assert cookie.is_dir()


def test_unwritable_cookie_fails_cleanly(cookie, mocker):
    cookie.parent.mkdir(parents=True)
    cookie.write_text("0 0 345600 -1")
    mocker.patch("os.open", side_effect=OSError(errno.EROFS, "Read-only file system"))
    fix = epochfix.fix_cookie("baseos", str(cookie), EPOCH)
    assert fix.action == epochfix.FAILED
    assert "Read-only file system" in fix.problem
    assert cookie.read_text() == "0 0 345600 -1"


@pytest.mark.parametrize("text,well_formed", [
    ("0 1 2 3", True), ("0 1 2 -1\n", True), ("0 1 2", False), ("x", False), ("0 1 2 3 4", False),
])
def test_well_formed(text, well_formed):
    assert epochfix.is_well_formed(text) is well_formed
