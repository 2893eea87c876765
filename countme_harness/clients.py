"""The real dnf clients the harness can run: the host's dnf and those in Debian chroots.

| client | where | program |
|---|---|---|
| ``bullseye`` | chroot | dnf 4.5 / libdnf 0.55 / Python 3.9 |
| ``bookworm`` | the host | dnf 4.14 / libdnf 0.69 / Python 3.11 |
| ``trixie`` | chroot | dnf 4.23 / libdnf 0.74 / Python 3.13 |
| ``forky`` | chroot | dnf 4.24 / libdnf 0.76 / Python 3.14 |
| ``forky-dnf5`` | the forky chroot | dnf5 / libdnf5 |

Versions are not taken from this table: each client reports them from its own
programs (:func:`countme_harness.chroots.probe_versions`), and the epoch rule follows
from the libdnf version (:func:`alma_countme.libdnfversion.epoch_rule`).
"""

import concurrent.futures
import functools
import json
import subprocess

from alma_countme.libdnfversion import epoch_rule
from alma_countme.model import EPOCH_MACHINE_ID

from . import SYSTEM_PYTHON, chroots

HOST_CLIENT = "bookworm"
CLIENT_NAMES = ("bullseye", "bookworm", "trixie", "forky", "forky-dnf5")
# client -> chroot suite (None: the host)
SUITE_OF = {"bullseye": "bullseye", "bookworm": None, "trixie": "trixie", "forky": "forky",
            "forky-dnf5": "forky"}
DNF4 = "dnf4"
DNF5 = "dnf5"


class Client:
    """One real client: ``name``, its ``chroot`` (None on the host), ``program`` and versions."""

    def __init__(self, name, chroot, versions):
        self.name = name
        self.chroot = chroot
        self.program = DNF5 if name.endswith("-dnf5") else DNF4
        self.versions = versions
        if self.program == DNF5:
            self.epoch_rule = EPOCH_MACHINE_ID  # libdnf5 has always taken it from /etc/machine-id
            self.libdnf_version = versions.get("libdnf5")
        else:
            self.libdnf_version = versions["libdnf"]
            self.epoch_rule = epoch_rule(self.libdnf_version)

    @property
    def suite(self):
        return self.chroot.suite if self.chroot else HOST_CLIENT

    @property
    def is_host(self):
        return self.chroot is None

    @property
    def runs_plugins(self):
        """dnf 4 loads the project's plugin; dnf5 has no dnf 4 plugins."""
        return self.program == DNF4

    def describe(self):
        if self.program == DNF5:
            return "dnf5 %s / libdnf5 %s" % (self.versions.get("dnf5"), self.versions.get("libdnf5"))
        return "dnf %s / libdnf %s / Python %s" % (
            self.versions["dnf"], self.versions["libdnf"], self.versions["python"])

    def __repr__(self):
        return "Client(%s: %s)" % (self.name, self.describe())


@functools.lru_cache(maxsize=None)
def host_versions():
    result = subprocess.run([SYSTEM_PYTHON, "-c", chroots._PROBE], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def get_client(name, progress=None):
    """The client ``name``, building its chroot first when needed (raises ChrootError)."""
    if name not in SUITE_OF:
        raise ValueError("unknown client %r (known: %s)" % (name, ", ".join(CLIENT_NAMES)))
    suite = SUITE_OF[name]
    if suite is None:
        return Client(name, None, host_versions())
    chroot = _ensured(suite, progress)
    return Client(name, chroot, chroot.info)


_ENSURED = {}  # suite -> Future of chroots.ensure, once per process (forky serves two clients)
_BUILDERS = concurrent.futures.ThreadPoolExecutor(max_workers=len(chroots.SUITES),
                                                  thread_name_prefix="chroot")


def prepare(names, progress=None):
    """Start building (or checking) the chroots of clients ``names`` at once, in parallel.

    debootstrap mostly waits on the mirror, so three builds together take little
    longer than one; :func:`get_client` then waits for its own.
    """
    for name in names:
        suite = SUITE_OF.get(name)
        if suite is not None and suite not in _ENSURED:
            _ENSURED[suite] = _BUILDERS.submit(chroots.ensure, suite, progress)


def _ensured(suite, progress):
    if suite not in _ENSURED:
        _ENSURED[suite] = _BUILDERS.submit(chroots.ensure, suite, progress)
    return _ENSURED[suite].result()
