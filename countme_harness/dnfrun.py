"""Run a real dnf in a sandbox, at a fake time: the host's (Debian 12's python3-dnf, libdnf
0.69) or a chroot client's (countme_harness.clients; see :func:`_run_in_chroot`).

Why each wrapper is there:

- ``--refresh``: dnf only asks the mirror service when a repo's metadata has
  expired (``makecache`` refreshes anyway; ``list``, ``install`` and others use
  the cache), and libdnf judges that by ``time(NULL) - mtime(primary.xml)``.
  Under a fake clock with real file mtimes that age is meaningless (negative
  when the fake date is before the real one), so even ``metadata_expire=0``
  makes no request: seen with ``dnf list`` on libdnf 0.69. ``--refresh`` marks
  every repo expired, so each run makes exactly one metalink/mirrorlist
  request per countable repo, whatever the command. ``refresh=False`` turns
  it off for tests of the cache itself.
- ``faketime -f "@YYYY-MM-DD HH:MM:SS"`` with ``TZ=UTC``: libfaketime moves
  ``time()`` (libdnf) and ``time.time()`` (dnf) to ``at``, letting the clock run
  from there; ``NO_FAKE_STAT=1`` keeps file mtimes real.
- ``unshare --mount`` with bind mounts, only for the child: libdnf reads the
  HOST's /etc/os-release for its User-Agent, so ``os_release=`` overlays that
  file in a private mount namespace; the host file is never touched. A run as
  another ``user`` also sees the root through a bind mount at a world-readable
  path, because pytest's tmp_path is private to root.
"""

import collections
import contextlib
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time

from . import CHECKOUT, DNF_SCRIPT, SYSTEM_PYTHON, chroots

Completed = collections.namedtuple("Completed", "returncode stdout stderr argv")

# Environment of the parent that must not reach the system Python running dnf.
_DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "LD_PRELOAD", "FAKETIME")


class DnfFailed(AssertionError):
    """dnf exited non-zero while ``check`` was set; the message holds its output."""

    def __init__(self, completed):
        self.completed = completed
        super().__init__(
            "dnf exited %d\nargv: %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
            % (completed.returncode, " ".join(shlex.quote(a) for a in completed.argv),
               completed.stdout, completed.stderr)
        )


def faketime_spec(at):
    """libfaketime's start-at format for epoch seconds ``at`` (read as UTC)."""
    return "@" + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(at)))


def dnf_argv(sandbox, args, root=None, refresh=True, inside=None):
    """The dnf command line for ``args`` in ``sandbox`` (its root seen at ``root``).

    ``inside`` maps a host path to the path the run sees (a chroot client's view).
    """
    root = root or sandbox.root
    inside = inside or (lambda path: path)
    client = sandbox.client
    if client is not None and client.program == "dnf5":
        # dnf5 has no dnf 4 plugins. It keeps the countme cookie in the RUNNING root's
        # persistdir even with --installroot (seen on dnf5 5.4.6), so name the sandbox's.
        argv = ["dnf5", "--installroot=%s" % root, "--config=%s" % os.path.join(root, "etc/dnf/dnf.conf"),
                "--releasever=%s" % sandbox.releasever, "--assumeyes",
                "--setopt=persistdir=%s" % os.path.join(root, "var/lib/dnf")]
        return argv + list(args)
    program = [SYSTEM_PYTHON, DNF_SCRIPT] if client is None or client.is_host else ["python3", "/usr/bin/dnf"]
    argv = program + [
        "--installroot=%s" % root,
        "--config=%s" % os.path.join(root, "etc/dnf/dnf.conf"),
        "--releasever=%s" % sandbox.releasever,
        "--assumeyes",
    ]
    if sandbox.plugin_dirs:
        argv.append("--setopt=pluginpath=%s" % ",".join(inside(path) for path in sandbox.plugin_dirs))
    if root != sandbox.root:
        # dnf.conf names the plugin config directory by its host path, which a
        # user cannot reach; give the mounted one.
        argv.append("--setopt=pluginconfpath=%s" % os.path.join(root, "etc/dnf/plugins"))
    if refresh:
        argv.append("--refresh")
    return argv + list(args)


def run_dnf(sandbox, args=None, *, at=None, user=None, env=None, check=True, timeout=120,
            os_release=None, refresh=True, server=None):
    """Run dnf ``args`` (default ``makecache``) in ``sandbox``; returns a Completed.

    ``at``: fake epoch time; ``user``: a user name to run as (not root);
    ``env``: extra environment; ``os_release``: text libdnf reads as the host's
    /etc/os-release for this run; ``refresh=False`` leaves metadata expiry to
    dnf; ``server``: a MirrorServer that logs this run's requests at ``at``.
    Raises DnfFailed on a non-zero exit when ``check`` is true.
    """
    if isinstance(args, str):
        args = shlex.split(args)
    args = list(args) if args else ["makecache"]
    child_env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
    child_env.update({"LC_ALL": "C.UTF-8", "TZ": "UTC"})

    if sandbox.client is not None and not sandbox.client.is_host:
        return _run_in_chroot(sandbox, args, at=at, user=user, env=env, check=check, timeout=timeout,
                              os_release=os_release, refresh=refresh, server=server, base_env=child_env)
    with contextlib.ExitStack() as stack:
        mounts = []
        root = sandbox.root
        hide_machine_id = False
        if os.path.exists(sandbox.running_machine_id_path):
            # The running root's machine-id (libdnf >= 0.73.2 and the plugin read it).
            mounts.append((sandbox.running_machine_id_path, "/etc/machine-id"))
        else:
            hide_machine_id = True
            overlay = tempfile.mkdtemp(prefix="etc-overlay-", dir=sandbox.base)
            stack.callback(shutil.rmtree, overlay, True)
        if os_release is not None:
            fd, release_file = tempfile.mkstemp(prefix="os-release-", dir=sandbox.base)
            with os.fdopen(fd, "w") as handle:
                handle.write(os_release)
            os.chmod(release_file, 0o644)
            stack.callback(os.unlink, release_file)
            mounts.append((release_file, "/etc/os-release"))
        prefix = []
        if user is not None:
            account = pwd.getpwnam(user)
            root = stack.enter_context(_public_mountpoint())
            mounts.append((sandbox.root, root))
            prefix += ["setpriv", "--reuid=%d" % account.pw_uid, "--regid=%d" % account.pw_gid,
                       "--init-groups"]
            child_env.update({"HOME": root, "USER": user, "LOGNAME": user})
        if at is not None:
            prefix += ["faketime", "-f", faketime_spec(at)]
            child_env.update({"NO_FAKE_STAT": "1"})
        argv = (_with_mounts(mounts, hide_machine_id=overlay if hide_machine_id else None)
                + prefix + dnf_argv(sandbox, args, root=root, refresh=refresh))
        child_env.update(env or {})
        if server is not None and at is not None:
            stack.enter_context(server.faking_time(at))
        result = subprocess.run(
            argv, env=child_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout, check=False,
        )
    completed = Completed(result.returncode, result.stdout, result.stderr, argv)
    if check and completed.returncode != 0:
        raise DnfFailed(completed)
    return completed


def _run_in_chroot(sandbox, args, *, at, user, env, check, timeout, os_release, refresh, server, base_env):
    """``run_dnf`` for a chroot client: the sandbox and the checkout bound into the chroot.

    The chroot's /etc is replaced by the sandbox's copy (``running_etc``), so a
    test controls the running root's machine-id and os-release without touching
    the shared chroot.
    """
    chroot = sandbox.client.chroot

    # A sandbox in /tmp (pytest's tmp_path) appears at its own path in the chroot.
    sandbox_mount = sandbox.base if sandbox.base.startswith("/tmp/") else chroots.SANDBOX_MOUNT

    def inside(path):
        for host, mounted in ((sandbox.base, sandbox_mount), (CHECKOUT, chroots.CHECKOUT_MOUNT)):
            if path == host or path.startswith(host + os.sep):
                return mounted + path[len(host):]
        return path

    child_env = {key: value for key, value in base_env.items()
                 if key in ("LC_ALL", "TZ", "TERM")}
    child_env.update({"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                      "PYTHONDONTWRITEBYTECODE": "1"})
    if at is not None:
        child_env["NO_FAKE_STAT"] = "1"  # file times stay real
    for key, value in (env or {}).items():
        child_env[key] = ":".join(inside(part) for part in value.split(":")) if key == "PYTHONPATH" else value
    binds = [(sandbox.base, sandbox_mount), (CHECKOUT, chroots.CHECKOUT_MOUNT),
             (sandbox.running_etc, "/etc")] + _own_path_binds(
        sandbox.plugin_dirs + (env or {}).get("PYTHONPATH", "").split(":"), inside)
    if refresh and sandbox.client.program == "dnf5":
        # dnf5's --refresh asks nothing when the cached metadata match (seen on 5.4.6): with
        # no cache, each run asks the mirror once, as each dnf 4 run with --refresh does.
        shutil.rmtree(sandbox.path("var/cache/libdnf5"), ignore_errors=True)
    with contextlib.ExitStack() as stack:
        if os_release is not None:
            # For this run only, as on the host: the chroot's own file comes back afterwards.
            path = os.path.join(sandbox.running_etc, "os-release")
            saved = os.path.join(sandbox.base, "os-release.saved")
            os.rename(path, saved)
            stack.callback(os.rename, saved, path)
            with open(path, "w") as handle:
                handle.write(os_release)
            stack.callback(os.unlink, path)
        if user is not None:
            uid, gid = _chroot_account(sandbox.running_etc, user)
            child_env.update({"HOME": "/", "USER": user, "LOGNAME": user})
        prefix = ["env", "-i"] + ["%s=%s" % item for item in sorted(child_env.items())]
        if user is not None:
            prefix += ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--init-groups"]
        if at is not None:
            prefix += ["faketime", "-f", faketime_spec(at)]
        root = inside(sandbox.root)
        argv = chroots.chroot_argv(chroot.path, prefix + dnf_argv(sandbox, args, root=root, refresh=refresh,
                                                                   inside=inside), binds)
        if server is not None and at is not None:
            stack.enter_context(server.faking_time(at))
        result = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=timeout, check=False,
        )
    completed = Completed(result.returncode, result.stdout, result.stderr, argv)
    if check and completed.returncode != 0:
        raise DnfFailed(completed)
    return completed


def _own_path_binds(paths, inside):
    """Binds that show the directories of ``paths`` lying in the host's /tmp, and in neither the
    sandbox nor the checkout, at their own path in a chroot: a world-readable copy of the
    plugin for a run as another user (tests/publiccopy.py) is one."""
    tops = []
    for path in paths:
        if path.startswith("/tmp/") and inside(path) == path and os.path.isdir(path):
            top = os.path.join("/tmp", path[len("/tmp/"):].split(os.sep)[0])
            if top not in tops:
                tops.append(top)
    return [(top, top) for top in tops]


def _chroot_account(etc, user):
    """(uid, gid) of ``user`` in a chroot's passwd file."""
    with open(os.path.join(etc, "passwd")) as handle:
        for line in handle:
            fields = line.split(":")
            if fields[0] == user:
                return int(fields[2]), int(fields[3])
    raise KeyError("no user %r in %s/passwd" % (user, etc))


def _with_mounts(mounts, hide_machine_id=None):
    """A command prefix that runs the rest in a private mount namespace with ``mounts`` bound.

    ``hide_machine_id``: a scratch directory; /etc then gets an overlay in which
    /etc/machine-id does not exist (a whiteout), for runs on a system without one.
    """
    if not mounts and not hide_machine_id:
        return []
    steps = ['mount --bind "$%d" "$%d"' % (2 * i + 1, 2 * i + 2) for i in range(len(mounts))]
    flat = [path for pair in mounts for path in pair]
    if hide_machine_id:
        upper, work = os.path.join(hide_machine_id, "upper"), os.path.join(hide_machine_id, "work")
        steps.insert(0, 'mkdir -p "%s" "%s"; mknod "%s/machine-id" c 0 0; '
                        'mount -t overlay overlay -o "lowerdir=/etc,upperdir=%s,workdir=%s" /etc'
                     % (upper, work, upper, upper, work))
    script = "set -e; " + "; ".join(steps) + '; shift %d; exec "$@"' % len(flat)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + flat


@contextlib.contextmanager
def _public_mountpoint():
    """An empty directory any user can reach, removed afterwards."""
    path = tempfile.mkdtemp(prefix="countme-sandbox-")
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        os.rmdir(path)  # never rmtree: the root was mounted here
