"""Constants and helpers shared by the plugin's tests (fixtures are in conftest.py)."""

import contextlib
import os
import shutil
import subprocess
import time

import pytest

from alma_countme.model import WINDOW

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_DIR = os.path.join(CHECKOUT, "dnf-plugins")
PLUGIN_CONF = os.path.join(PLUGIN_DIR, "countme.conf")
PLUGIN_ENV = {"PYTHONPATH": CHECKOUT}

WEEK = WINDOW

DAY = 86400
# Monday 2026-11-16 00:00 UTC starts a countme window; tests run on its Thursday noon.
MONDAY = 1794787200
THURSDAY = MONDAY + 3 * DAY + 12 * 3600


def countme_warnings(stderr):
    """The lines of dnf's stderr that the plugin wrote (all start with ``countme: ``)."""
    return [line for line in stderr.splitlines() if line.startswith("countme: ")]


def write_plugin_conf(sandbox, text):
    path = os.path.join(sandbox.plugin_conf_dir, "countme.conf")
    with open(path, "w") as handle:
        handle.write(text)
    return path


# -- a real rpm database with packages installed at chosen times --------------------------------

_SPEC = """\
Name: {name}
Version: 1.0
Release: 1
Summary: Package with no files for the countme plugin's rpm database tests
License: MIT
BuildArch: noarch

%description
A package with no files.

%files
"""


def build_rpm(name, workdir):
    """The path of a noarch package ``name``-1.0-1 with no files, built with rpmbuild under ``workdir``."""
    top = os.path.join(str(workdir), "rpmbuild-" + name)
    os.makedirs(top)
    spec = os.path.join(top, name + ".spec")
    with open(spec, "w") as handle:
        handle.write(_SPEC.format(name=name))
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", "_topdir %s" % top,
                    "--define", "_rpmdir %s" % os.path.join(top, "rpms"), spec],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return os.path.join(top, "rpms", "noarch", "%s-1.0-1.noarch.rpm" % name)


def _at(when):
    """faketime's frozen clock at epoch seconds ``when`` (UTC): what rpm then takes as its time."""
    return ["faketime", "-f", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(when)))]


def _rpm(argv):
    subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   env=dict(os.environ, TZ="UTC"))


def rpm_install_at(root, package, when):
    """Install ``package`` into ``root``'s rpm database only (--justdb), with INSTALLTIME ``when``."""
    _rpm(_at(when) + ["rpm", "--root", str(root), "-i", "--justdb", "--nodeps", "--noscripts", package])


def import_pubkey_at(root, when, workdir):
    """Import a fresh throwaway GPG key into ``root``'s rpm database at ``when``: a ``gpg-pubkey``
    header, as ``rpm --import`` of a distribution's key makes one, with INSTALLTIME ``when``."""
    if shutil.which("gpg") is None:
        pytest.skip("needs gpg to make a key for a gpg-pubkey entry in the rpm database")
    from alma_countme.repotools.build_rpms import make_throwaway_keys

    key_dir = os.path.join(str(workdir), "gpg-key")
    make_throwaway_keys(["RPM-GPG-KEY-test"], key_dir)
    _rpm(_at(when) + ["rpm", "--root", str(root), "--import", os.path.join(key_dir, "RPM-GPG-KEY-test")])


def rpmdb_entries(root):
    """``[(name, INSTALLTIME)]`` of ``root``'s rpm database, as rpm itself lists them (sorted)."""
    listed = subprocess.run(["rpm", "--root", str(root), "-qa", "--qf", "%{NAME} %{INSTALLTIME}\\n"],
                            check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return sorted((name, int(when)) for name, when in (line.split() for line in listed.splitlines()))


# -- a real read-only file system --------------------------------------------------------------

@contextlib.contextmanager
def read_only_bind_mount(path):
    """``path`` (a directory or a file) made read-only in place by a read-only bind mount of itself,
    unmounted again on the way out. Skips when this test run cannot mount (not root, no mount)."""
    path = str(path)
    if os.geteuid() != 0:
        pytest.skip("needs root to bind-mount %s read-only" % path)
    if shutil.which("mount") is None:
        pytest.skip("needs mount(8) for a read-only bind mount")
    bound = subprocess.run(["mount", "--bind", path, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
    if bound.returncode != 0:
        pytest.skip("cannot bind-mount here (no CAP_SYS_ADMIN?): %s" % bound.stderr.strip())
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", path, path], check=True)
        assert not os.access(path, os.W_OK), "the read-only bind mount of %s is still writable" % path
        yield path
    finally:
        subprocess.run(["umount", path], check=True)
