"""A harness that drives the real dnf/libdnf against a local mirror service.

Modules, one job each:

- :mod:`countme_harness.repo`: a tiny rpm-md repository (rpmbuild + createrepo_c);
- :mod:`countme_harness.server`: the mirrorlist/metalink HTTP server on 127.0.0.1 that logs
  every request in Combined Log Format;
- :mod:`countme_harness.sandbox`: an ``--installroot`` with its own dnf.conf, repo files,
  os-release and machine-id;
- :mod:`countme_harness.dnfrun`: runs the system dnf (or a chroot's) in a sandbox at a fake time;
- :mod:`countme_harness.chroots`: Debian chroots with other dnf/libdnf releases (debootstrap, cached);
- :mod:`countme_harness.clients`: the real clients (host and chroots) a test can run.

The commands built on it, each ``main(argv)`` behind a shim in tools/:

- :mod:`countme_harness.demo`: ``tools/countme-demo``;
- :mod:`countme_harness.overhead`: ``tools/plugin-overhead``;
- :mod:`countme_harness.real_clients`: ``tools/real-clients``.

It imports nothing from pytest, so those tools use it too.
:func:`missing_requirements` says what this machine lacks for it.
"""

import functools
import os
import shutil
import subprocess

SYSTEM_PYTHON = "/usr/bin/python3"
# The project's checkout (plugins and the alma_countme package are bound into chroots from here).
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DNF_SCRIPT = "/usr/bin/dnf"
TOOLS = ("faketime", "createrepo_c", "rpmbuild", "unshare", "setpriv")


def missing_requirements():
    """Human-readable reasons this machine cannot drive real dnf here; empty when it can."""
    missing = []
    if os.geteuid() != 0:
        missing.append("not root (libdnf only counts, and dnf only writes an installroot, as root)")
    if not _system_dnf_works():
        missing.append("no system dnf (%s cannot import dnf, or %s is missing)" % (SYSTEM_PYTHON, DNF_SCRIPT))
    for tool in TOOLS:
        if shutil.which(tool) is None:
            missing.append("%s not found on PATH" % tool)
    return missing


@functools.lru_cache(maxsize=None)
def _system_dnf_works():
    if not (os.access(SYSTEM_PYTHON, os.X_OK) and os.path.exists(DNF_SCRIPT)):
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import dnf, libdnf"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
    return probe.returncode == 0
