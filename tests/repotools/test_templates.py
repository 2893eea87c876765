"""repo-templates/ and tools/render-repos: the stock AlmaLinux layout, and the libdnf check.

The expected tables below are written from the stock AlmaLinux files (see the
sources listed at the top of repo-templates/almalinux.yaml), not from the data
file: they hold, for x86_64, every section of every repo file. Other arches
drop almalinux-rt.repo and almalinux-nfv.repo unless they are of the x86_64
family; AlmaLinux 10's x86_64_v2 names its own tree in mirrorlists and
commented baseurls of primary and debug sections.

Needs Jinja2 and PyYAML (the renderer) and libdnf's Python bindings (the check).
"""
# ruff: noqa: E501  (the expected tables keep one section per line, URLs in full)

import collections
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, PROJECT)

from alma_countme import useragent  # noqa: E402
from alma_countme.repotools import repocheck, repotemplates  # noqa: E402

RENDER_REPOS = os.path.join(PROJECT, "tools", "render-repos")
MIRRORLIST = "https://mirrors.almalinux.org/mirrorlist/$releasever/"
NAME_PREFIX = "AlmaLinux $releasever - "
X86_64_FAMILY = ("x86_64", "x86_64_v2")
ARCH_FILES = ("almalinux-rt.repo", "almalinux-nfv.repo")
NON_PRIMARY = ("-debuginfo", "-source")

Row = collections.namedtuple("Row", "file id name mirrorlist baseurl enabled")


def table(text):
    """Rows of 'file | id | name | mirrorlist name | commented baseurl | enabled'."""
    rows = []
    for line in text.strip().splitlines():
        file, repo_id, name, mirror, baseurl, enabled = [cell.strip() for cell in line.split("|")]
        rows.append(Row(file, repo_id, NAME_PREFIX + name, MIRRORLIST + mirror, baseurl, enabled))
    return rows


AL8 = table('''
almalinux.repo | baseos | BaseOS | baseos | https://repo.almalinux.org/almalinux/$releasever/BaseOS/$basearch/os/ | 1
almalinux.repo | appstream | AppStream | appstream | https://repo.almalinux.org/almalinux/$releasever/AppStream/$basearch/os/ | 1
almalinux.repo | extras | Extras | extras | https://repo.almalinux.org/almalinux/$releasever/extras/$basearch/os/ | 1
almalinux.repo | baseos-debuginfo | BaseOS debuginfo | baseos-debuginfo | https://repo.almalinux.org/vault/$releasever/BaseOS/debug/$basearch/ | 0
almalinux.repo | appstream-debuginfo | AppStream debuginfo | appstream-debuginfo | https://repo.almalinux.org/vault/$releasever/AppStream/debug/$basearch/ | 0
almalinux.repo | extras-debuginfo | Extras debuginfo | extras-debuginfo | https://repo.almalinux.org/vault/$releasever/extras/debug/$basearch/ | 0
almalinux.repo | baseos-source | BaseOS Source | baseos-source | https://repo.almalinux.org/vault/$releasever/BaseOS/Source/ | 0
almalinux.repo | appstream-source | AppStream Source | appstream-source | https://repo.almalinux.org/vault/$releasever/AppStream/Source/ | 0
almalinux.repo | extras-source | Extras Source | extras-source | https://repo.almalinux.org/vault/$releasever/extras/Source/ | 0
almalinux-ha.repo | ha | HighAvailability | ha | https://repo.almalinux.org/almalinux/$releasever/HighAvailability/$basearch/os/ | 0
almalinux-ha.repo | ha-debuginfo | HighAvailability debuginfo | ha-debuginfo | https://repo.almalinux.org/vault/$releasever/HighAvailability/debug/$basearch/ | 0
almalinux-ha.repo | ha-source | HighAvailability Source | ha-source | https://repo.almalinux.org/vault/$releasever/HighAvailability/Source/ | 0
almalinux-nfv.repo | nfv | Real Time for NFV | nfv | https://repo.almalinux.org/almalinux/$releasever/NFV/$basearch/os/ | 0
almalinux-nfv.repo | nfv-debuginfo | Real Time for NFV Debuginfo | nfv-debuginfo | https://repo.almalinux.org/vault/$releasever/NFV/debug/$basearch/ | 0
almalinux-nfv.repo | nfv-source | Real Time for NFV Sources | nfv-source | https://repo.almalinux.org/vault/$releasever/NFV/Source/ | 0
almalinux-plus.repo | plus | Plus | plus | https://repo.almalinux.org/almalinux/$releasever/plus/$basearch/os/ | 0
almalinux-plus.repo | plus-debuginfo | Plus debuginfo | plus-debuginfo | https://repo.almalinux.org/vault/$releasever/plus/debug/$basearch/ | 0
almalinux-plus.repo | plus-source | Plus Source | plus-source | https://repo.almalinux.org/vault/$releasever/plus/Source/ | 0
almalinux-powertools.repo | powertools | PowerTools | powertools | https://repo.almalinux.org/almalinux/$releasever/PowerTools/$basearch/os/ | 0
almalinux-powertools.repo | powertools-debuginfo | PowerTools debuginfo | powertools-debuginfo | https://repo.almalinux.org/vault/$releasever/PowerTools/debug/$basearch/ | 0
almalinux-powertools.repo | powertools-source | PowerTools Source | powertools-source | https://repo.almalinux.org/vault/$releasever/PowerTools/Source/ | 0
almalinux-resilientstorage.repo | resilientstorage | ResilientStorage | resilientstorage | https://repo.almalinux.org/almalinux/$releasever/ResilientStorage/$basearch/os/ | 0
almalinux-resilientstorage.repo | resilientstorage-debuginfo | ResilientStorage debuginfo | resilientstorage-debuginfo | https://repo.almalinux.org/vault/$releasever/ResilientStorage/debug/$basearch/ | 0
almalinux-resilientstorage.repo | resilientstorage-source | ResilientStorage Source | resilientstorage-source | https://repo.almalinux.org/vault/$releasever/ResilientStorage/Source/ | 0
almalinux-rt.repo | rt | Real Time | rt | https://repo.almalinux.org/almalinux/$releasever/RT/$basearch/os/ | 0
almalinux-rt.repo | rt-debuginfo | Real Time Debuginfo | rt-debuginfo | https://repo.almalinux.org/vault/$releasever/RT/debug/$basearch/ | 0
almalinux-rt.repo | rt-source | Real Time Sources | rt-source | https://repo.almalinux.org/vault/$releasever/RT/Source/ | 0
almalinux-sap.repo | sap | SAP | sap | https://repo.almalinux.org/almalinux/$releasever/SAP/$basearch/os/ | 0
almalinux-sap.repo | sap-debuginfo | SAP Debuginfo | sap-debuginfo | https://repo.almalinux.org/vault/$releasever/SAP/debug/$basearch/ | 0
almalinux-sap.repo | sap-source | SAP Sources | sap-source | https://repo.almalinux.org/vault/$releasever/SAP/Source/ | 0
almalinux-saphana.repo | saphana | SAP HANA | saphana | https://repo.almalinux.org/almalinux/$releasever/SAPHANA/$basearch/os/ | 0
almalinux-saphana.repo | saphana-debuginfo | SAP HANA Debuginfo | saphana-debuginfo | https://repo.almalinux.org/vault/$releasever/SAPHANA/debug/$basearch/ | 0
almalinux-saphana.repo | saphana-source | SAP HANA Sources | saphana-source | https://repo.almalinux.org/vault/$releasever/SAPHANA/Source/ | 0
''')

AL9 = table('''
almalinux-appstream.repo | appstream | AppStream | appstream | https://repo.almalinux.org/almalinux/$releasever/AppStream/$basearch/os/ | 1
almalinux-appstream.repo | appstream-debuginfo | AppStream - Debug | appstream-debug | https://vault.almalinux.org/$releasever/AppStream/debug/$basearch/ | 0
almalinux-appstream.repo | appstream-source | AppStream - Source | appstream-source | https://vault.almalinux.org/$releasever/AppStream/Source/ | 0
almalinux-baseos.repo | baseos | BaseOS | baseos | https://repo.almalinux.org/almalinux/$releasever/BaseOS/$basearch/os/ | 1
almalinux-baseos.repo | baseos-debuginfo | BaseOS - Debug | baseos-debug | https://vault.almalinux.org/$releasever/BaseOS/debug/$basearch/ | 0
almalinux-baseos.repo | baseos-source | BaseOS - Source | baseos-source | https://vault.almalinux.org/$releasever/BaseOS/Source/ | 0
almalinux-crb.repo | crb | CRB | crb | https://repo.almalinux.org/almalinux/$releasever/CRB/$basearch/os/ | 0
almalinux-crb.repo | crb-debuginfo | CRB - Debug | crb-debug | https://vault.almalinux.org/$releasever/CRB/debug/$basearch/ | 0
almalinux-crb.repo | crb-source | CRB - Source | crb-source | https://vault.almalinux.org/$releasever/CRB/Source/ | 0
almalinux-extras.repo | extras | Extras | extras | https://repo.almalinux.org/almalinux/$releasever/extras/$basearch/os/ | 1
almalinux-extras.repo | extras-debuginfo | Extras - Debug | extras-debug | https://vault.almalinux.org/$releasever/extras/debug/$basearch/ | 0
almalinux-extras.repo | extras-source | Extras - Source | extras-source | https://vault.almalinux.org/$releasever/extras/Source/ | 0
almalinux-highavailability.repo | highavailability | HighAvailability | highavailability | https://repo.almalinux.org/almalinux/$releasever/HighAvailability/$basearch/os/ | 0
almalinux-highavailability.repo | highavailability-debuginfo | HighAvailability - Debug | highavailability-debug | https://vault.almalinux.org/$releasever/HighAvailability/debug/$basearch/ | 0
almalinux-highavailability.repo | highavailability-source | HighAvailability - Source | highavailability-source | https://vault.almalinux.org/$releasever/HighAvailability/Source/ | 0
almalinux-nfv.repo | nfv | NFV | nfv | https://repo.almalinux.org/almalinux/$releasever/NFV/$basearch/os/ | 0
almalinux-nfv.repo | nfv-debuginfo | NFV - Debug | nfv-debug | https://vault.almalinux.org/$releasever/NFV/debug/$basearch/ | 0
almalinux-nfv.repo | nfv-source | NFV - Source | nfv-source | https://vault.almalinux.org/$releasever/NFV/Source/ | 0
almalinux-plus.repo | plus | Plus | plus | https://repo.almalinux.org/almalinux/$releasever/plus/$basearch/os/ | 0
almalinux-plus.repo | plus-debuginfo | Plus - Debug | plus-debug | https://vault.almalinux.org/$releasever/plus/debug/$basearch/ | 0
almalinux-plus.repo | plus-source | Plus - Source | plus-source | https://vault.almalinux.org/$releasever/plus/Source/ | 0
almalinux-resilientstorage.repo | resilientstorage | ResilientStorage | resilientstorage | https://repo.almalinux.org/almalinux/$releasever/ResilientStorage/$basearch/os/ | 0
almalinux-resilientstorage.repo | resilientstorage-debuginfo | ResilientStorage - Debug | resilientstorage-debug | https://vault.almalinux.org/$releasever/ResilientStorage/debug/$basearch/ | 0
almalinux-resilientstorage.repo | resilientstorage-source | ResilientStorage - Source | resilientstorage-source | https://vault.almalinux.org/$releasever/ResilientStorage/Source/ | 0
almalinux-rt.repo | rt | RT | rt | https://repo.almalinux.org/almalinux/$releasever/RT/$basearch/os/ | 0
almalinux-rt.repo | rt-debuginfo | RT - Debug | rt-debug | https://vault.almalinux.org/$releasever/RT/debug/$basearch/ | 0
almalinux-rt.repo | rt-source | RT - Source | rt-source | https://vault.almalinux.org/$releasever/RT/Source/ | 0
almalinux-sap.repo | sap | SAP | sap | https://repo.almalinux.org/almalinux/$releasever/SAP/$basearch/os/ | 0
almalinux-sap.repo | sap-debuginfo | SAP - Debug | sap-debug | https://vault.almalinux.org/$releasever/SAP/debug/$basearch/ | 0
almalinux-sap.repo | sap-source | SAP - Source | sap-source | https://vault.almalinux.org/$releasever/SAP/Source/ | 0
almalinux-saphana.repo | saphana | SAPHANA | saphana | https://repo.almalinux.org/almalinux/$releasever/SAPHANA/$basearch/os/ | 0
almalinux-saphana.repo | saphana-debuginfo | SAPHANA - Debug | saphana-debug | https://vault.almalinux.org/$releasever/SAPHANA/debug/$basearch/ | 0
almalinux-saphana.repo | saphana-source | SAPHANA - Source | saphana-source | https://vault.almalinux.org/$releasever/SAPHANA/Source/ | 0
''')

# AlmaLinux 10: as 9 without resilientstorage.
AL10 = [row for row in AL9 if row.file != "almalinux-resilientstorage.repo"]

EXPECTED = {"8": AL8, "9": AL9, "10": AL10}
GPGKEYS = {
    "8": "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux",
    "9": "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9",
    "10": "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-10",
}
ARCHES = {
    "8": ("x86_64", "aarch64", "ppc64le", "s390x"),
    "9": ("x86_64", "aarch64", "ppc64le", "s390x"),
    "10": ("x86_64", "x86_64_v2", "aarch64", "ppc64le", "s390x"),
}
MAJOR_ARCHES = [(major, arch) for major in ("8", "9", "10") for arch in ARCHES[major]]


def expected_rows(major, arch):
    rows = []
    for row in EXPECTED[major]:
        if row.file in ARCH_FILES and arch not in X86_64_FAMILY:
            continue
        if arch == "x86_64_v2" and not row.id.endswith("-source"):
            row = row._replace(mirrorlist=row.mirrorlist + "?arch=x86_64_v2",
                               baseurl=row.baseurl.replace("$basearch", "x86_64_v2"))
        rows.append(row)
    return rows


def parse_repo_text(text):
    """Section -> list of (key, value), with the commented baseurl kept as '# baseurl'."""
    sections = collections.OrderedDict()
    current = None
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        elif line.startswith("# baseurl=") and current is not None:
            current.append(("# baseurl", line.split("=", 1)[1]))
        elif "=" in line and not line.startswith("#") and current is not None:
            current.append(tuple(line.split("=", 1)))
    return sections


@pytest.fixture(scope="module")
def data():
    return repotemplates.load_data()


def render_into(data, major, arch, directory):
    files = repotemplates.render_repo_files(data, major, arch)
    repotemplates.write_tree(files, str(directory))
    return files


def run_cli(*args):
    return subprocess.run([sys.executable, RENDER_REPOS] + [str(arg) for arg in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


# -- the stock layout ---------------------------------------------------------


@pytest.mark.parametrize("major,arch", MAJOR_ARCHES)
def test_rendered_files_match_the_stock_layout_section_by_section(data, major, arch):
    rendered = repotemplates.render_repo_files(data, major, arch)
    actual = []
    for name, text in rendered.items():
        for section, pairs in parse_repo_text(text).items():
            options = dict(pairs)
            actual.append(Row(name, section, options.get("name"), options.get("mirrorlist"),
                              options.get("# baseurl"), options.get("enabled")))
            assert options["gpgkey"] == GPGKEYS[major], (name, section)
            assert options["gpgcheck"] == "1", (name, section)
    wanted = expected_rows(major, arch)
    assert [row.file for row in actual] == [row.file for row in wanted]
    for have, want in zip(actual, wanted):
        assert have == want
    assert len(actual) == len(wanted)


@pytest.mark.parametrize("major,arch", MAJOR_ARCHES)
def test_countme_is_on_in_every_primary_section_and_nowhere_else(data, major, arch):
    for name, text in repotemplates.render_repo_files(data, major, arch).items():
        for section, pairs in parse_repo_text(text).items():
            countme = [value for key, value in pairs if key == "countme"]
            if section.endswith(NON_PRIMARY):
                assert countme == [], (name, section)
            else:
                assert countme == ["1"], (name, section)


@pytest.mark.parametrize("major", ["9", "10"])
def test_el9_and_later_expire_metadata_daily_and_enable_it_for_baseos_and_appstream(data, major):
    for name, text in repotemplates.render_repo_files(data, major, "x86_64").items():
        for section, pairs in parse_repo_text(text).items():
            keys = [key for key, _ in pairs]
            options = dict(pairs)
            assert options["metadata_expire"] == "86400", (name, section)
            wanted = "1" if section in ("baseos", "appstream") else "0"
            assert options["enabled_metadata"] == wanted, (name, section)
            primary = [] if section.endswith(NON_PRIMARY) else ["countme"]
            assert keys == (["name", "mirrorlist", "# baseurl", "enabled", "gpgcheck"] + primary
                            + ["gpgkey", "metadata_expire", "enabled_metadata"]), (name, section)


def test_el8_files_have_no_metadata_options(data):
    for name, text in repotemplates.render_repo_files(data, "8", "x86_64").items():
        for section, pairs in parse_repo_text(text).items():
            keys = [key for key, _ in pairs]
            primary = [] if section.endswith(NON_PRIMARY) else ["countme"]
            assert keys == ["name", "mirrorlist", "# baseurl", "enabled", "gpgcheck"] + primary + ["gpgkey"], (
                name, section)


def test_each_file_starts_with_its_name_and_ends_with_one_newline(data):
    for major, arch in MAJOR_ARCHES:
        for name, text in repotemplates.render_repo_files(data, major, arch).items():
            assert text.startswith("# {}\n\n[".format(name))
            assert text.endswith("\n") and not text.endswith("\n\n")
            assert "\n\n\n" not in text


@pytest.mark.parametrize("major,arch", MAJOR_ARCHES)
def test_every_rendering_passes_the_libdnf_check(data, tmp_path, major, arch):
    render_into(data, major, arch, tmp_path)
    result = repocheck.check_files([str(tmp_path)], releasever=major, basearch="x86_64"
                                   if arch.startswith("x86_64") else arch)
    assert result.problems == []
    assert result.sections == len(expected_rows(major, arch))


def test_unknown_major_and_arch_are_refused_by_name(data):
    with pytest.raises(repotemplates.TemplateDataError, match="no AlmaLinux major '7'"):
        repotemplates.expand(data, "7", "x86_64")
    with pytest.raises(repotemplates.TemplateDataError, match="AlmaLinux 9 has no arch 'x86_64_v2'"):
        repotemplates.expand(data, "9", "x86_64_v2")


# -- the data file ------------------------------------------------------------


def test_a_data_file_without_a_required_key_is_refused_naming_the_key(tmp_path):
    source = os.path.join(repotemplates.default_template_dir(), repotemplates.DATA_FILE_NAME)
    with open(source) as stream:
        text = stream.read()
    broken = text.replace("{id: crb, name: CRB, dir: CRB, enabled: 0}", "{id: crb, name: CRB, enabled: 0}", 1)
    assert broken != text
    path = tmp_path / "almalinux.yaml"
    path.write_text(broken)
    with pytest.raises(repotemplates.TemplateDataError) as raised:
        repotemplates.load_data(str(path))
    assert str(path) in str(raised.value)
    assert "majors.9.files[2].repos[0]: missing 'dir'" in str(raised.value)


def test_a_data_file_that_is_not_yaml_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "almalinux.yaml"
    path.write_text("schema: 1\nmajors: [unclosed\n")
    with pytest.raises(repotemplates.TemplateDataError, match="not valid YAML"):
        repotemplates.load_data(str(path))


def test_the_data_file_header_explains_each_choice_of_the_repo_set():
    with open(os.path.join(repotemplates.default_template_dir(), repotemplates.DATA_FILE_NAME)) as stream:
        header = stream.read().split("\nschema:")[0]
    for topic in ("-debuginfo", "countme=1 in every primary section", "almalinux-rt.repo", "vault", "x86_64_v2",
                  "highavailability"):
        assert topic in header


# -- release files --------------------------------------------------------------


def test_os_release_gives_the_user_agent_libdnf_sends(data):
    files = repotemplates.render_release_files(data, "9", "6", "Sage Margay")
    os_release = useragent.parse_os_release(files["usr/lib/os-release"])
    assert os_release["NAME"] == "AlmaLinux"
    assert os_release["VERSION_ID"] == "9.6"
    assert os_release["PLATFORM_ID"] == "platform:el9"
    assert os_release["PRETTY_NAME"] == "AlmaLinux 9.6 (Sage Margay)"
    assert useragent.user_agent(os_release, "x86_64") == "libdnf (AlmaLinux 9.6; generic; Linux.x86_64)"
    assert files["etc/almalinux-release"] == "AlmaLinux release 9.6 (Sage Margay)\n"
    assert files["etc/system-release-cpe"] == "cpe:/o:almalinux:almalinux:9::baseos\n"
    assert "%rhel 9\n" in files["usr/lib/rpm/macros.d/macros.dist"]


@pytest.mark.parametrize("major,platform", [("8", "platform:el8"), ("10", "platform:el10")])
def test_os_release_names_each_major_platform(data, major, platform):
    files = repotemplates.render_release_files(data, major, "0", "Test Codename")
    os_release = useragent.parse_os_release(files["usr/lib/os-release"])
    assert os_release["PLATFORM_ID"] == platform
    assert os_release["CPE_NAME"] == "cpe:/o:almalinux:almalinux:{}::baseos".format(major)


@pytest.mark.parametrize("minor,codename", [("6a", "Sage Margay"), ("6", 'Bad "Quote"'), ("6", "")])
def test_release_files_refuse_bad_versions(data, minor, codename):
    with pytest.raises(repotemplates.TemplateDataError):
        repotemplates.render_release_files(data, "9", minor, codename)


# -- GPG keys (build inputs) ----------------------------------------------------

FAKE_PUBLIC_KEY = (
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nTEST DATA, NOT A KEY\n-----END PGP PUBLIC KEY BLOCK-----\n")


def test_gpg_keys_are_taken_from_the_key_dir_by_the_names_in_the_data(data, tmp_path):
    (tmp_path / "RPM-GPG-KEY-AlmaLinux-9").write_text(FAKE_PUBLIC_KEY)
    (tmp_path / "unrelated-file").write_text("ignored")
    files = repotemplates.gpg_key_files(data, "9", str(tmp_path))
    assert list(files) == ["etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9"]


def test_a_missing_gpg_key_is_named(data, tmp_path):
    with pytest.raises(repotemplates.TemplateDataError, match="RPM-GPG-KEY-AlmaLinux-10 for AlmaLinux 10 is missing"):
        repotemplates.gpg_key_files(data, "10", str(tmp_path))


@pytest.mark.parametrize("content,message", [
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nTEST DATA\n", "PRIVATE key"),
    ("just some text\n", "not an ASCII-armored OpenPGP public key"),
])
def test_private_or_unarmored_keys_are_refused(data, tmp_path, content, message):
    (tmp_path / "RPM-GPG-KEY-AlmaLinux-9").write_text(content)
    with pytest.raises(repotemplates.TemplateDataError, match=message):
        repotemplates.gpg_key_files(data, "9", str(tmp_path))


def test_write_tree_writes_mode_0644_and_leaves_no_temporary_files(tmp_path):
    written = repotemplates.write_tree({"a/b.repo": "x\n", "c": b"\x00bytes"}, str(tmp_path))
    assert sorted(os.path.relpath(path, str(tmp_path)) for path in written) == ["a/b.repo", "c"]
    for path in written:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert sorted(os.listdir(str(tmp_path / "a"))) == ["b.repo"]
    assert (tmp_path / "c").read_bytes() == b"\x00bytes"


# -- the libdnf check finds each kind of problem ----------------------------------

GOOD_SECTION = """[good]
name=Good
mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/good
enabled=1
countme=1
"""


def check_text(tmp_path, text, name="test.repo"):
    path = tmp_path / name
    path.write_text(text)
    return repocheck.check_files([str(path)]).problems


def only(problems):
    assert len(problems) == 1, [repocheck.format_problem(problem) for problem in problems]
    return problems[0]


def test_a_clean_file_has_no_problems(tmp_path):
    assert check_text(tmp_path, GOOD_SECTION) == []


def test_unknown_option_is_named_with_file_line_section_and_key(tmp_path):
    problem = only(check_text(tmp_path, GOOD_SECTION + "gpgkeys=file:///x\n"))
    assert (problem.path, problem.line, problem.section, problem.key) == (
        str(tmp_path / "test.repo"), 6, "good", "gpgkeys")
    assert "unknown option" in problem.message
    text = repocheck.format_problem(problem)
    assert text.startswith("{}:6 [good] gpgkeys: unknown option".format(tmp_path / "test.repo"))


def test_invalid_values_are_refused_as_libdnf_refuses_them(tmp_path):
    problems = check_text(tmp_path, GOOD_SECTION.replace("enabled=1", "enabled=maybe")
                          + "metadata_expire=soon\n")
    assert sorted((problem.key, problem.line) for problem in problems) == [
        ("enabled", 4), ("metadata_expire", 6)]
    assert all("invalid value" in problem.message for problem in problems)


def test_countme_missing_or_off_in_a_primary_section(tmp_path):
    missing = only(check_text(tmp_path, GOOD_SECTION.replace("countme=1\n", "")))
    assert (missing.section, missing.key) == ("good", "countme")
    assert "missing" in missing.message
    off = only(check_text(tmp_path, GOOD_SECTION.replace("countme=1", "countme=0")))
    assert (off.line, off.key) == (5, "countme") and "is off" in off.message


@pytest.mark.parametrize("suffix", ["-debuginfo", "-source", "-debug"])
def test_countme_in_a_debug_or_source_section(tmp_path, suffix):
    problem = only(check_text(tmp_path, GOOD_SECTION.replace("[good]", "[good{}]".format(suffix))))
    assert (problem.section, problem.key, problem.line) == ("good" + suffix, "countme", 5)
    assert "must not be set" in problem.message


@pytest.mark.parametrize("leftover", ["{{ section.name }}", "{% if x %}", "@MIRROR@", "{mirror}"])
def test_template_placeholders_left_are_found(tmp_path, leftover):
    problems = check_text(tmp_path, GOOD_SECTION.replace("name=Good", "name=Good " + leftover))
    assert problems and all(problem.line == 2 and problem.section == "good" for problem in problems)
    assert all("placeholder" in problem.message for problem in problems)


def test_unknown_variables_are_found_even_in_comments(tmp_path):
    problem = only(check_text(tmp_path, GOOD_SECTION + "# baseurl=https://x/$contentdir/$basearch/\n"))
    assert problem.line == 6 and "$contentdir" in problem.message


def test_braced_dnf_variables_are_variables_not_placeholders(tmp_path):
    assert check_text(tmp_path, GOOD_SECTION.replace("$releasever", "${releasever}")) == []


def test_variables_declared_on_the_command_line_or_in_a_root_are_known(tmp_path):
    root = tmp_path / "root"
    (root / "etc/yum.repos.d").mkdir(parents=True)
    (root / "etc/yum.repos.d/x.repo").write_text(GOOD_SECTION.replace("$releasever", "$releasever/$site"))
    assert run_cli("--check", root).returncode == 1
    assert run_cli("--check", root, "--var", "site").returncode == 0
    (root / "etc/dnf/vars").mkdir(parents=True)
    (root / "etc/dnf/vars/site").write_text("eu\n")
    assert run_cli("--check", root).returncode == 0


def test_duplicate_ids_across_files_name_both_files(tmp_path):
    (tmp_path / "a.repo").write_text(GOOD_SECTION)
    (tmp_path / "b.repo").write_text(GOOD_SECTION)
    problem = only(repocheck.check_files([str(tmp_path)]).problems)
    assert problem.path == str(tmp_path / "b.repo") and problem.section == "good"
    assert str(tmp_path / "a.repo") in problem.message


def test_repeated_sections_and_keys_within_a_file(tmp_path):
    problems = check_text(tmp_path, GOOD_SECTION + "enabled=0\n" + GOOD_SECTION)
    messages = sorted((problem.line, problem.key, problem.message.split(" (")[0]) for problem in problems)
    assert messages[0] == (6, "enabled", "key repeated")
    assert (7, None, "section repeated") in messages


def test_syntax_errors_come_from_libdnf_with_the_line(tmp_path):
    problem = only(check_text(tmp_path, GOOD_SECTION + "no equals sign here\n"))
    assert problem.line == 6 and "libdnf cannot parse it" in problem.message


@pytest.mark.parametrize("text,message", [
    ("[bad id]\nname=x\nbaseurl=http://x/\ncountme=1\n", "repo id has characters dnf rejects"),
    ("[noname]\nbaseurl=http://x/\ncountme=1\n", "no name"),
    ("[nourl]\nname=x\ncountme=1\n", "no baseurl, mirrorlist or metalink"),
    ("[main]\ncountme=1\n", "[main] in a .repo file"),
])
def test_sections_dnf_would_warn_about(tmp_path, text, message):
    assert message in only(check_text(tmp_path, text)).message


def test_compare_with_expected_finds_changed_missing_and_extra_files(data, tmp_path):
    expected = render_into(data, "9", "aarch64", tmp_path)
    assert repocheck.compare_with_expected(expected, str(tmp_path)) == []
    (tmp_path / "almalinux-crb.repo").unlink()
    (tmp_path / "extra.repo").write_text(GOOD_SECTION)
    baseos = tmp_path / "almalinux-baseos.repo"
    baseos.write_text(baseos.read_text().replace("countme=1", "countme=0"))
    problems = repocheck.compare_with_expected(expected, str(tmp_path))
    found = {(os.path.basename(problem.path), problem.line, problem.message.split(":")[0])
             for problem in problems}
    assert found == {("almalinux-crb.repo", None, "missing"), ("extra.repo", None, "unexpected"),
                     ("almalinux-baseos.repo", 9, "differs from the rendered template")}


# -- the command ------------------------------------------------------------------


def test_help_describes_rendering_and_checking():
    finished = run_cli("--help")
    assert finished.returncode == 0
    for option in ("--major", "--arch", "--output", "--root", "--check", "--json", "--list"):
        assert option in finished.stdout


def test_render_and_check_in_one_run_reports_json(tmp_path):
    finished = run_cli("--major", "10", "--arch", "x86_64_v2", "--output", tmp_path / "out", "--check", "--json")
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["ok"] is True and report["problems"] == []
    assert report["sections"] == len(expected_rows("10", "x86_64_v2"))
    assert [os.path.basename(item["path"]) for item in report["repo_files"]] == sorted(
        os.listdir(str(tmp_path / "out")), key=[row.file for row in expected_rows("10", "x86_64_v2")].index)


def test_check_exits_1_and_lists_problems_as_json(tmp_path):
    (tmp_path / "x.repo").write_text(GOOD_SECTION.replace("countme=1\n", "") + "bogus=1\n")
    finished = run_cli("--check", tmp_path, "--json")
    assert finished.returncode == 1
    report = json.loads(finished.stdout)
    assert report["ok"] is False
    assert {(problem["section"], problem["key"]) for problem in report["problems"]} == {
        ("good", "bogus"), ("good", "countme")}
    assert all(problem["path"] == str(tmp_path / "x.repo") for problem in report["problems"])


def test_check_against_a_major_compares_with_a_fresh_rendering(tmp_path):
    assert run_cli("--major", "9", "--arch", "s390x", "--output", tmp_path).returncode == 0
    extras = tmp_path / "almalinux-extras.repo"
    extras.write_text(extras.read_text().replace("enabled=1", "enabled=0", 1))
    finished = run_cli("--check", tmp_path, "--major", "9", "--arch", "s390x")
    assert finished.returncode == 1
    assert re.search(r"almalinux-extras\.repo:7: differs from the rendered template", finished.stderr)


def test_bad_input_exits_2_with_one_clear_line(tmp_path):
    finished = run_cli("--major", "9", "--arch", "i686", "--output", tmp_path)
    assert finished.returncode == 2
    assert finished.stderr.strip() == (
        "render-repos: error: {}: AlmaLinux 9 has no arch 'i686' (known: x86_64, aarch64, ppc64le, s390x)"
        .format(os.path.join(repotemplates.default_template_dir(), repotemplates.DATA_FILE_NAME)))
    assert run_cli("--root", tmp_path, "--major", "9", "--arch", "x86_64").returncode == 2


def test_root_mode_writes_the_payload_tree_and_rpm_file_lists(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "RPM-GPG-KEY-AlmaLinux-9").write_text(FAKE_PUBLIC_KEY)
    finished = run_cli("--major", "9", "--arch", "ppc64le", "--root", tmp_path / "root", "--minor", "6",
                       "--codename", "Sage Margay", "--gpg-key-dir", keys, "--filelists", tmp_path / "lists")
    assert finished.returncode == 0, finished.stderr
    root = tmp_path / "root"
    assert (root / "etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9").read_text() == FAKE_PUBLIC_KEY
    assert (root / "usr/lib/os-release").is_file() and (root / "etc/dnf/vars").is_dir()
    repos = (tmp_path / "lists" / "repos.files").read_text().splitlines()
    assert repos[0] == "%dir /etc/yum.repos.d"
    assert repos[1:] == ["%config(noreplace) /etc/yum.repos.d/{}".format(name)
                         for name in sorted(os.listdir(str(root / "etc/yum.repos.d")),
                                            key=[row.file for row in AL9].index)]
    assert (tmp_path / "lists" / "gpg-keys.files").read_text() == (
        "%dir /etc/pki/rpm-gpg\n/etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9\n")
    assert (tmp_path / "lists" / "vars.files").read_text() == "%dir /etc/dnf/vars\n"


def test_dnf_vars_in_the_data_are_rendered_listed_and_known_to_the_check(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(repotemplates.default_template_dir(), str(templates))
    data_file = templates / repotemplates.DATA_FILE_NAME
    text = data_file.read_text()
    data_file.write_text(text.replace('gpgkey: RPM-GPG-KEY-AlmaLinux-9\n    dnf_vars: {}',
                                      'gpgkey: RPM-GPG-KEY-AlmaLinux-9\n    dnf_vars: {contentdir: almalinux}'))
    finished = run_cli("--data", data_file, "--major", "9", "--arch", "x86_64", "--root", tmp_path / "root",
                       "--minor", "6", "--codename", "Sage Margay", "--filelists", tmp_path / "lists")
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "root/etc/dnf/vars/contentdir").read_text() == "almalinux\n"
    assert (tmp_path / "lists/vars.files").read_text() == (
        "%dir /etc/dnf/vars\n%config(noreplace) /etc/dnf/vars/contentdir\n")
    baseos = tmp_path / "root/etc/yum.repos.d/almalinux-baseos.repo"
    baseos.write_text(baseos.read_text().replace("/almalinux/$releasever/", "/$contentdir/$releasever/"))
    assert run_cli("--check", tmp_path / "root").returncode == 0
    assert run_cli("--check", tmp_path / "root/etc/yum.repos.d").returncode == 1


def test_list_shows_every_major_and_arch():
    finished = run_cli("--list", "--json")
    assert finished.returncode == 0
    layout = json.loads(finished.stdout)["majors"]
    assert {major: sorted(arches) for major, arches in layout.items()} == {
        major: sorted(arches) for major, arches in ARCHES.items()}
    assert "almalinux-rt.repo" in layout["10"]["x86_64_v2"]
    assert "almalinux-rt.repo" not in layout["9"]["aarch64"]
