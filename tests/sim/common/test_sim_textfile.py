"""A result file is written whole or not at all."""

import os

import pytest

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.common.textfile import write_text


def test_the_text_is_written_as_given(tmp_path):
    path = tmp_path / "summary.txt"
    write_text(str(path), "week\r\n1 ✓\n")
    assert path.read_bytes() == "week\r\n1 ✓\n".encode("utf-8")


def test_a_failed_write_names_the_file_and_leaves_none(tmp_path):
    # /dev/full accepts the open and refuses every write: a full disk, as root cannot fake otherwise.
    path = tmp_path / "truth.csv"
    path.symlink_to("/dev/full")
    with pytest.raises(SimError) as error:
        write_text(str(path), "x" * 100000)
    assert str(error.value) == ("cannot write %s: No space left on device; that file is incomplete and was "
                                "removed" % path)
    assert not os.path.lexists(path)
