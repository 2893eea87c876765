"""libdnf's User-Agent from os-release data."""

import pytest

from alma_countme import useragent as ua

ALMA9 = 'NAME="AlmaLinux"\nVERSION="9.4 (Seafoam Ocelot)"\nID="almalinux"\nVERSION_ID="9.4"\n'


def test_almalinux_agent():
    data = ua.parse_os_release(ALMA9)
    assert ua.user_agent(data, "x86_64") == "libdnf (AlmaLinux 9.4; generic; Linux.x86_64)"


def test_upstream_whitelist_does_not_name_almalinux():
    data = ua.parse_os_release(ALMA9)
    assert ua.user_agent(data, "x86_64", distros=ua.UPSTREAM_DISTROS) == "libdnf"


def test_whitelisted_builds_report_listed_variants_only():
    fedora = {"NAME": "Fedora", "VERSION_ID": "41", "VARIANT_ID": "workstation"}
    upstream = ua.UPSTREAM_DISTROS
    expected = "libdnf (Fedora 41; workstation; Linux.aarch64)"
    assert ua.user_agent(fedora, "aarch64", distros=upstream) == expected
    mine = dict(fedora, VARIANT_ID="mine")
    assert ua.user_agent(mine, "aarch64", distros=upstream).endswith("; generic; Linux.aarch64)")
    rhel = {"NAME": "Red Hat Enterprise Linux", "VERSION_ID": "9.4", "VARIANT_ID": "server"}
    assert "; generic;" in ua.user_agent(rhel, "x86_64", distros=upstream)


def test_default_is_libdnf_069_without_whitelist():
    alma = {"NAME": "AlmaLinux", "VERSION_ID": "9.4", "VARIANT_ID": "server"}
    assert ua.user_agent(alma, "x86_64") == "libdnf (AlmaLinux 9.4; server; Linux.x86_64)"
    assert ua.user_agent({"NAME": "Debian GNU/Linux", "VERSION_ID": "12"}, "x86_64") == (
        "libdnf (Debian GNU/Linux 12; generic; Linux.x86_64)")


@pytest.mark.parametrize(
    "data,arch,canon",
    [({}, "x86_64", "Linux"), ({"NAME": "AlmaLinux"}, "x86_64", "Linux"),
     ({"NAME": "AlmaLinux", "VERSION_ID": "9"}, "", "Linux"),
     ({"NAME": "AlmaLinux", "VERSION_ID": "9"}, "x86_64", "FreeBSD")],
)
def test_fallback_to_basic(data, arch, canon):
    assert ua.user_agent(data, arch, canon) == "libdnf"


def test_parse_rules():
    text = '# c\n\nNAME = "A B"  \nX=\'q\'\nNAME=second\nEMPTY=\nQ="\n'
    assert ua.parse_os_release(text) == {"NAME": "A B", "X": "'q'", "EMPTY": "", "Q": '"'}
    with pytest.raises(ua.OsReleaseError, match="line 2"):
        ua.parse_os_release("NAME=x\nbroken line\n")


def test_read_prefers_etc_then_usr_lib(tmp_path):
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text("NAME=Lib\nVERSION_ID=1\n")
    assert ua.read_os_release(str(tmp_path))["NAME"] == "Lib"
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text("NAME=Etc\nVERSION_ID=2\n")
    assert ua.read_os_release(str(tmp_path))["NAME"] == "Etc"
    (tmp_path / "etc/os-release").write_text("bad\n")
    assert ua.read_os_release(str(tmp_path)) == {}
