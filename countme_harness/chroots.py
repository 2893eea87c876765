"""Debian chroots holding other real dnf/libdnf releases, built with debootstrap and cached.

Each suite's chroot lives in ``<cache>/<suite>`` (``/var/cache/alma-countme/chroots``
unless ``ALMA_COUNTME_CHROOTS`` says otherwise), outside any clone, so every run and
every worktree reuses it. Building is safe against two runs at once: an
``fcntl.flock`` on ``<cache>/<suite>.lock`` serialises builders, a chroot is built
in a temporary directory next to its final place and renamed there only when
complete, and its stamp file (``.countme-chroot.json``, written last) must exist
and ``dnf --version`` must work inside it, or it is built again.

Commands run inside a chroot through :func:`chroot_argv`: a private mount
namespace (``unshare --mount``) gets /proc, /dev and a fresh /dev/shm tmpfs
(libfaketime's wrapper needs it) plus the bind mounts a run asks for, then
``chroot``; the mounts vanish with the namespace, so nothing is left mounted
even when a run is killed. A chroot shares the host's network namespace, so its
dnf reaches the harness's mirror server on 127.0.0.1.
"""

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

CACHE_ENV = "ALMA_COUNTME_CHROOTS"
DEFAULT_CACHE = "/var/cache/alma-countme/chroots"
STAMP = ".countme-chroot.json"
BASE_PACKAGES = ("dnf", "python3-dnf", "faketime")
# suite -> (debootstrap's script for it, extra packages). forky has no script of its
# own in bookworm's debootstrap; sid's is the same.
SUITES = {
    "bullseye": ("bullseye", ()),
    "trixie": ("trixie", ()),
    "forky": ("sid", ("dnf5",)),
}
# Where a run's sandbox and the project's checkout appear inside a chroot.
SANDBOX_MOUNT = "/countme/sandbox"
CHECKOUT_MOUNT = "/countme/src"
SOURCES_FILES = ("/etc/apt/sources.list", "/etc/apt/sources.list.d")
BUILD_TIMEOUT = 900


class ChrootError(RuntimeError):
    """A chroot cannot be built or used; the message names what is missing."""


def cache_dir():
    return os.environ.get(CACHE_ENV) or DEFAULT_CACHE


def debian_mirror():
    """The Debian mirror this machine's apt uses (the first non-security ``debian`` URI)."""
    candidates = []
    for entry in SOURCES_FILES:
        paths = [entry]
        if os.path.isdir(entry):
            paths = [os.path.join(entry, name) for name in sorted(os.listdir(entry))
                     if name.endswith((".list", ".sources"))]
        for path in paths:
            with contextlib.suppress(OSError), open(path) as handle:
                candidates += _debian_uris(handle.read())
    for uri in candidates:
        if "security" not in uri:
            return uri.rstrip("/")
    raise ChrootError("no Debian mirror found in %s (need a deb line or URIs: naming a .../debian archive)"
                      % ", ".join(SOURCES_FILES))


def _debian_uris(text):
    uris = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        words = line.split()
        if line.startswith("URIs:"):
            uris += words[1:]
        elif words[:1] == ["deb"]:
            uris += [word for word in words[1:] if "://" in word][:1]
    return [uri for uri in uris if re.search(r"/debian/?$", uri)]


class Chroot:
    """One cached chroot: its ``path``, ``suite`` and the versions its stamp records."""

    def __init__(self, suite, path, info):
        self.suite = suite
        self.path = path
        self.info = info

    def __repr__(self):
        return "Chroot(%r, %r)" % (self.suite, self.path)

    def host_path(self, inside):
        """Host path of ``inside`` (an absolute path in the chroot)."""
        return os.path.join(self.path, inside.lstrip("/"))


def chroot_path(suite):
    return os.path.join(cache_dir(), suite)


def chroot_argv(chroot_dir, argv, binds=()):
    """Run ``argv`` inside ``chroot_dir`` with /proc, /dev, /dev/shm and ``binds`` mounted.

    ``binds``: (host path, path inside the chroot) pairs, bound recursively (mounts
    below the source come along). A target must exist in the chroot (a file for a
    file, a directory for a directory), except under /tmp: the chroot's /tmp is a
    fresh tmpfs where directory targets are made, so a sandbox in the host's /tmp
    appears at the same path inside (messages then name the paths a test knows).
    """
    script = [
        "set -e",
        'C="$1"; shift',
        'mount -t proc proc "$C/proc"',
        'mount --bind /dev "$C/dev"',
        'mount -t tmpfs -o mode=1777 shm "$C/dev/shm"',
        'mount -t tmpfs -o mode=1777 tmp "$C/tmp"',
        'mount -t tmpfs -o mode=0755 log "$C/var/log"',  # dnf5 logs to the running root's
    ]
    flat = []
    for index, (source, target) in enumerate(binds):
        if target.startswith("/tmp/"):
            script.append('mkdir -p "$C%s"' % target)
        script.append('mount --rbind "$%d" "$C%s"' % (index + 1, target))
        flat.append(source)
    script.append('shift %d; exec chroot "$C" "$@"' % len(flat))
    return (["unshare", "--mount", "--propagation", "private", "sh", "-c", "; ".join(script), "sh",
             chroot_dir] + flat + list(argv))


_PROBE = (
    "import json, sys, dnf.const, hawkey; "
    "print(json.dumps({'dnf': dnf.const.VERSION, 'libdnf': hawkey.VERSION, "
    "'python': '%d.%d.%d' % sys.version_info[:3]}))"
)


def probe_versions(chroot_dir, has_dnf5=False):
    """What the chroot holds: dnf, libdnf and Python versions (and dnf5's), from the programs."""
    result = _run(chroot_argv(chroot_dir, ["python3", "-c", _PROBE]), timeout=120)
    if result.returncode != 0:
        raise ChrootError("dnf does not import in %s: %s" % (chroot_dir, result.stderr.strip()[-500:]))
    info = json.loads(result.stdout.strip().splitlines()[-1])
    check = _run(chroot_argv(chroot_dir, ["dnf", "--version"]), timeout=120)
    if check.returncode != 0:
        raise ChrootError("'dnf --version' fails in %s: %s" % (chroot_dir, check.stderr.strip()[-500:]))
    if has_dnf5:
        five = _run(chroot_argv(chroot_dir, ["dnf5", "--version"]), timeout=120)
        if five.returncode != 0:
            raise ChrootError("'dnf5 --version' fails in %s: %s" % (chroot_dir, five.stderr.strip()[-500:]))
        found = dict(re.findall(r"^(dnf5|libdnf5) version (\S+)", five.stdout, re.M))
        info["dnf5"] = found.get("dnf5")
        info["libdnf5"] = found.get("libdnf5")
    return info


def _run(argv, timeout):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, check=False)


def missing_tools(path=None):
    """Sentences naming the programs a chroot build needs and ``path`` (default: PATH) lacks."""
    return ["%s not found on PATH (tools/bootstrap installs it)" % tool
            for tool in ("debootstrap", "unshare", "chroot") if shutil.which(tool, path=path) is None]


def read_stamp(path):
    with contextlib.suppress(OSError, ValueError), open(os.path.join(path, STAMP)) as handle:
        return json.load(handle)
    return None


def _valid(suite, path):
    """The stamp's info when the chroot at ``path`` is complete and its dnf runs, else None."""
    info = read_stamp(path)
    if not info or info.get("suite") != suite:
        return None
    try:
        probe_versions(path, has_dnf5=bool(info.get("dnf5")))
    except (ChrootError, subprocess.TimeoutExpired, ValueError):
        return None
    return info


def existing(suite):
    """The cached chroot of ``suite`` when it is complete (no build, no validation run)."""
    path = chroot_path(suite)
    info = read_stamp(path)
    return Chroot(suite, path, info) if info and info.get("suite") == suite else None


def ensure(suite, progress=None):
    """The chroot of ``suite``, built (or rebuilt, when broken) first if needed."""
    if suite not in SUITES:
        raise ChrootError("unknown suite %r (known: %s)" % (suite, ", ".join(sorted(SUITES))))
    if os.geteuid() != 0:
        raise ChrootError("building or entering a chroot needs root")
    missing = missing_tools()
    if missing:
        raise ChrootError(missing[0])
    cache = cache_dir()
    os.makedirs(cache, exist_ok=True)
    path = chroot_path(suite)
    with open(os.path.join(cache, suite + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building it: wait, then reuse
        info = _valid(suite, path)
        if info is None:
            info = _build(suite, path, progress or (lambda message: None))
    return Chroot(suite, path, info)


def _build(suite, path, progress):
    script, extra = SUITES[suite]
    mirror = debian_mirror()
    cache = os.path.dirname(path)
    work = tempfile.mkdtemp(prefix=".%s.build-" % suite, dir=cache)
    target = os.path.join(work, "root")
    log_path = os.path.join(cache, suite + ".build.log")
    started = time.time()
    progress("building the %s chroot from %s (debootstrap, about 80 s) ..." % (suite, mirror))
    argv = ["debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES + extra),
            suite, target, mirror, os.path.join("/usr/share/debootstrap/scripts", script)]
    try:
        with open(log_path, "w") as log:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    timeout=BUILD_TIMEOUT, check=False)
        if result.returncode != 0:
            with open(log_path) as log:
                tail = log.read()[-1500:]
            raise ChrootError(
                "cannot build the %s chroot: debootstrap exited %d (network to Debian's mirror %s? "
                "log: %s)\n%s" % (suite, result.returncode, mirror, log_path, tail))
        for mountpoint in (SANDBOX_MOUNT, CHECKOUT_MOUNT):
            os.makedirs(os.path.join(target, mountpoint.lstrip("/")), exist_ok=True)
        info = probe_versions(target, has_dnf5=bool(extra))
        info.update({"suite": suite, "mirror": mirror, "built": int(time.time()),
                     "build_seconds": round(time.time() - started, 1)})
        with open(os.path.join(target, STAMP), "w") as handle:
            json.dump(info, handle, indent=2, sort_keys=True)
        if os.path.lexists(path):
            os.rename(path, os.path.join(work, "broken"))  # out of the way, removed below
        os.rename(target, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    progress("built the %s chroot in %.0f s: %s" % (suite, time.time() - started, path))
    return info
