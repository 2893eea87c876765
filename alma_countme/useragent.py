"""The User-Agent libdnf sends, built from os-release data as libdnf builds it.

libdnf 0.69 (AlmaLinux 9, and Debian 12's build, checked against the real
library by tests/plugin/test_real_libdnf.py) and older reports
``libdnf (NAME VERSION_ID; VARIANT_ID; OS.BASEARCH)`` for any distribution.
Later upstream releases added a whitelist: the long form only for listed
names and only listed variants, anything else falling back to plain
``libdnf`` or ``generic`` so that rare systems cannot be singled out. The
``distros`` argument of :func:`user_agent` chooses: ``ANY_DISTRO`` (the
default, AlmaLinux 8 and 9) or ``UPSTREAM_DISTROS``.

Runs on Python 3.6: standard library only.
"""

import os

BASIC_USER_AGENT = "libdnf"
OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
DEFAULT_VARIANT = "generic"
CANONICAL_OSES = ("Linux",)

FEDORA_VARIANTS = (
    "cinnamon", "cloud", "container", "coreos", "generic", "iot", "kde", "matecompiz",
    "server", "silverblue", "snappy", "soas", "workstation", "xfce",
)
# Distribution name -> variants reported as they are (others become "generic").
UPSTREAM_DISTROS = {
    "Fedora": FEDORA_VARIANTS,
    "Red Hat Enterprise Linux": (),
    "CentOS Linux": (),
}
# No whitelist: every NAME and every VARIANT_ID is reported as it is (libdnf <= 0.69).
ANY_DISTRO = None


# What libdnf 0.69 trims around keys and values (not \r, \v or \f: checked on the real library).
_TRIMMED = " \t"


class OsReleaseError(ValueError):
    """An os-release file libdnf would reject as a whole (it then sends ``libdnf``)."""


def parse_os_release(text):
    """Key/value pairs of an os-release file, read the way libdnf reads them.

    Lines end at ``\n`` only (a CR stays in the value), trailing spaces are
    dropped, ``#`` lines and empty lines skipped, keys and values trimmed of
    spaces and tabs only, one pair of surrounding double quotes removed; the
    first of duplicate keys wins. A line without ``=`` makes libdnf discard the
    whole file: that raises OsReleaseError.
    """
    result = {}
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip(" \n")
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise OsReleaseError("line %d has no '=': %r" % (number, line))
        key, value = key.strip(_TRIMMED), value.strip(_TRIMMED)
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        result.setdefault(key, value)
    return result


def read_os_release(root="/"):
    """os-release data from the first of /etc/os-release, /usr/lib/os-release under ``root``.

    Returns {} when neither exists or libdnf would reject the file.
    """
    for path in OS_RELEASE_PATHS:
        full = os.path.join(root, path.lstrip("/"))
        if os.path.exists(full):
            try:
                # newline="": libdnf keeps a CR before the LF in the value.
                with open(full, encoding="utf-8", errors="replace", newline="") as handle:
                    return parse_os_release(handle.read())
            except (OSError, IOError, OsReleaseError):
                return {}
    return {}


def user_agent(os_release, basearch, canonical_os="Linux", distros=ANY_DISTRO):
    """The User-Agent string libdnf sends for ``os_release`` data on ``basearch``.

    ``distros`` is the whitelist of the libdnf build; ``ANY_DISTRO`` (None) is a
    build without one.
    """
    name = os_release.get("NAME")
    version = os_release.get("VERSION_ID")
    if name is None or version is None or (distros is not ANY_DISTRO and name not in distros):
        return BASIC_USER_AGENT
    if not canonical_os or not basearch or canonical_os not in CANONICAL_OSES:
        return BASIC_USER_AGENT
    variant = os_release.get("VARIANT_ID", DEFAULT_VARIANT)
    if distros is not ANY_DISTRO and variant not in distros[name]:
        variant = DEFAULT_VARIANT
    return "%s (%s %s; %s; %s.%s)" % (BASIC_USER_AGENT, name, version, variant, canonical_os, basearch)
