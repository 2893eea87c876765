"""A tiny, valid rpm-md repository for dnf to load: one small noarch package.

The package is built once per process with rpmbuild and reused; each repository
is then a directory with a copy of it and createrepo_c's ``repodata/``.
"""

import atexit
import os
import shutil
import subprocess
import tempfile

PROBE_NAME = "countme-probe"
PROBE_VERSION = "1.0"
PROBE_RELEASE = "1"
PROBE_RPM = "%s-%s-%s.noarch.rpm" % (PROBE_NAME, PROBE_VERSION, PROBE_RELEASE)

_SPEC = """\
Name: {name}
Version: {version}
Release: {release}
Summary: Package that gives the countme test repository some content
License: MIT
BuildArch: noarch

%description
A package with no files, served by the countme test harness.

%files
"""

_built = {}


class RepoBuildError(RuntimeError):
    """rpmbuild or createrepo_c failed; the message holds their output."""


def _run(argv, what):
    result = subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False
    )
    if result.returncode != 0:
        raise RepoBuildError("%s failed (exit %d): %s\n%s" % (what, result.returncode, argv, result.stdout))
    return result.stdout


def probe_rpm():
    """Path of the probe package, built with rpmbuild on first use in this process."""
    if "rpm" in _built and os.path.exists(_built["rpm"]):
        return _built["rpm"]
    workdir = tempfile.mkdtemp(prefix="countme-probe-rpm-")
    atexit.register(shutil.rmtree, workdir, True)
    spec = os.path.join(workdir, PROBE_NAME + ".spec")
    with open(spec, "w") as handle:
        handle.write(_SPEC.format(name=PROBE_NAME, version=PROBE_VERSION, release=PROBE_RELEASE))
    _run(
        [
            "rpmbuild", "-bb", "--quiet",
            "--define", "_topdir %s" % os.path.join(workdir, "top"),
            "--define", "_rpmdir %s" % os.path.join(workdir, "rpms"),
            spec,
        ],
        "rpmbuild",
    )
    path = os.path.join(workdir, "rpms", "noarch", PROBE_RPM)
    if not os.path.exists(path):
        raise RepoBuildError("rpmbuild succeeded but did not produce %s" % path)
    _built["rpm"] = path
    return path


def make_repo(path, rpms=()):
    """Make ``path`` an rpm-md repository holding the probe package and ``rpms``; returns ``path``."""
    os.makedirs(path, exist_ok=True)
    for rpm in (probe_rpm(),) + tuple(rpms):
        shutil.copy2(rpm, os.path.join(path, os.path.basename(rpm)))
    _run(["createrepo_c", "--quiet", "--no-database", path], "createrepo_c")
    return str(path)
