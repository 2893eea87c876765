"""countme_harness.chroots: where the Debian mirror comes from, what makes a cached chroot usable."""

import json
import os

import pytest

from countme_harness import chroots, clients


def test_mirror_from_deb822_and_one_line_sources():
    deb822 = ("Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
              "URIs: http://deb.debian.org/debian\nSuites: bookworm\n\n"
              "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n")
    assert chroots._debian_uris(deb822) == ["http://deb.debian.org/debian"]
    one_line = ("deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main\n"
                "# deb http://commented.example/debian bookworm main\n"
                "deb https://packages.cloud.google.com/apt cloud-sdk main\n")
    assert chroots._debian_uris(one_line) == ["http://mirror.example/debian/"]


def test_this_machines_mirror_is_a_debian_archive():
    if not any(os.path.exists(path) for path in chroots.SOURCES_FILES):
        pytest.skip("no apt sources on this machine")
    assert chroots.debian_mirror().endswith("/debian")


@pytest.mark.skipif(os.geteuid() != 0, reason="entering a chroot needs root")
def test_a_stamp_without_a_working_dnf_is_not_a_usable_chroot(tmp_path):
    """A half-built or damaged chroot (here: a stamp and nothing else) must be rebuilt."""
    for directory in ("proc", "dev", "tmp"):
        (tmp_path / directory).mkdir()
    (tmp_path / chroots.STAMP).write_text(json.dumps({"suite": "trixie"}))
    assert chroots.read_stamp(str(tmp_path)) == {"suite": "trixie"}
    assert chroots._valid("trixie", str(tmp_path)) is None
    assert chroots._valid("forky", str(tmp_path)) is None  # another suite's stamp


def test_missing_tools_are_named(tmp_path):
    assert chroots.missing_tools(path=str(tmp_path))[0] == (
        "debootstrap not found on PATH (tools/bootstrap installs it)")
    with pytest.raises(chroots.ChrootError, match="unknown suite"):
        chroots.ensure("hamm")
    with pytest.raises(ValueError, match="unknown client"):
        clients.get_client("hamm")
