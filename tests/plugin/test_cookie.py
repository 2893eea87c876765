"""Cookie text, libdnf's reading of damaged files, and the cookie's path."""

import os
import stat

import pytest

from alma_countme import cookie as ck
from alma_countme.model import DEFAULT_COOKIE, Cookie

INT_MAX, INT_MIN = 2**31 - 1, -(2**31)
LONG_MAX, LONG_MIN = 2**63 - 1, -(2**63)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0 1794787200 1794787200 -1", (0, 1794787200, 1794787200, -1)),
        ("", (0, 0, 345600, -1)),  # empty: nothing read, defaults stay
        ("   \n\t ", (0, 0, 345600, -1)),
        ("garbage", (0, 0, 345600, -1)),  # first field fails: stores 0, rest untouched
        ("0 123", (0, 123, 345600, -1)),  # truncated: the missing fields keep defaults
        ("0 123 abc 2", (0, 123, 0, -1)),  # a failed field stores 0 and stops reading
        ("0 123 456 x", (0, 123, 456, 0)),
        ("0 123abc", (0, 123, 0, -1)),  # a number ends at the first non-digit
        ("0 1.5 2 3", (0, 1, 0, -1)),
        ("0 0x10 2 3", (0, 0, 0, -1)),
        ("0 -5 -10 -3", (0, -5, -10, -3)),  # negative numbers are plain numbers
        ("+0 +5 +6 +2", (0, 5, 6, 2)),
        ("0\n5\n6\n2\n", (0, 5, 6, 2)),  # any white space separates
        ("7 5 6 2 trailing words", (7, 5, 6, 2)),  # the version is read and ignored
        ("0 99999999999999999999 6 2", (0, LONG_MAX, 345600, -1)),  # overflow: limit, stop
        ("0 -99999999999999999999 6 2", (0, LONG_MIN, 345600, -1)),
        ("0 5 6 3000000000", (0, 5, 6, INT_MAX)),  # int field narrowed with a range check
        ("0 5 6 -3000000000", (0, 5, 6, INT_MIN)),
        ("- 5 6 2", (0, 0, 345600, -1)),
        (b"0 5 6 \xff", (0, 5, 6, 0)),
    ],
)
def test_parse_follows_cxx_stream_rules(text, expected):
    assert ck.parse_cookie(text) == Cookie(*expected)


def test_format_is_libdnfs_exact_bytes():
    assert ck.format_cookie(Cookie(0, 1794787200, 1794787200, -1)) == "0 1794787200 1794787200 -1"
    # libdnf always writes version 0, whatever it read.
    assert ck.format_cookie(Cookie(7, 1, 2, 3)) == "0 1 2 3"


def test_read_missing_or_directory_gives_defaults(tmp_path):
    assert ck.read_cookie(str(tmp_path / "absent")) == DEFAULT_COOKIE
    (tmp_path / "countme").mkdir()
    assert ck.read_cookie(str(tmp_path / "countme")) == DEFAULT_COOKIE


def test_write_is_atomic_with_libdnf_mode(tmp_path):
    path = str(tmp_path / "countme")
    ck.write_cookie(path, Cookie(0, 1, 2, 3))
    with open(path) as handle:
        assert handle.read() == "0 1 2 3"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(str(tmp_path)) == ["countme"]


def test_write_into_a_directory_raises_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "countme"
    target.mkdir()
    (target / "keep").write_text("x")
    with pytest.raises(OSError):
        ck.write_cookie(str(target), Cookie(0, 1, 2, 3))
    assert sorted(os.listdir(str(tmp_path))) == ["countme"]


def test_directory_name_uses_reference_example():
    url = "http://127.0.0.1:18081/mirrorlist/9/baseos?arch=x86_64"
    assert ck.repo_dir_name("baseos", mirrorlist=url) == "baseos-d28f5907cf0918bb"


def test_hash_source_precedence():
    assert ck.hash_source("r", "M", "L", ["B1", "B2"]) == "M"
    assert ck.hash_source("r", "", "L", ["B1"]) == "L"
    assert ck.hash_source("r", None, None, ["B1", "B2"]) == "B1"
    assert ck.hash_source("r", None, None, [""]) == "r"
    assert ck.hash_source("r") == "r"


def test_cookie_path_layout():
    path = ck.cookie_path("/var/lib/dnf", "baseos", mirrorlist="http://x/9/baseos")
    assert path.startswith("/var/lib/dnf/repos/baseos-") and path.endswith("/countme")
    assert len(os.path.basename(os.path.dirname(path))) == len("baseos-") + 16


def test_only_mirrorlist_or_metalink_repos_count():
    assert ck.is_countable(mirrorlist="http://x")
    assert ck.is_countable(metalink="http://x")
    assert not ck.is_countable()
