"""An ``--installroot`` for real dnf: its own dnf.conf, repo files, os-release and machine-id.

Everything dnf reads or writes for a run lives under :attr:`Sandbox.root`, so
tests never touch the host's /etc, /var/lib/dnf or /etc/yum.repos.d. The cookie
path is predicted by the project's model (:mod:`alma_countme.cookie`), never
recomputed here.
"""

import collections
import os
import platform
import re
import shutil

from alma_countme import cookie as cookie_model

DEFAULT_RELEASEVER = "9"
DEFAULT_MACHINE_ID = "0123456789abcdef0123456789abcdef\n"
DEFAULT_OS_RELEASE = (
    'NAME="AlmaLinux"\n'
    'VERSION="9.4 (Seafoam Ocelot)"\n'
    'ID="almalinux"\n'
    'ID_LIKE="rhel centos fedora"\n'
    'VERSION_ID="9.4"\n'
    'PLATFORM_ID="platform:el9"\n'
    'PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"\n'
)
# dnf's base architecture for the machines this runs on (rpm's arch -> basearch).
_BASEARCH = {"i686": "i386", "i586": "i386", "armv7l": "armhfp", "ppc64": "ppc64"}

RepoConfig = collections.namedtuple("RepoConfig", "repo_id metalink mirrorlist baseurls path")


def host_basearch():
    machine = platform.machine()
    return _BASEARCH.get(machine, machine)


class Sandbox:
    """An installroot at ``<base>/root`` (``base`` is usually pytest's tmp_path).

    Plugins: append a directory to ``plugin_dirs`` (empty: no plugins at all,
    not even the host's) and :func:`countme_harness.dnfrun.run_dnf` passes it as
    ``pluginpath``; plugin configs go in ``plugin_conf_dir`` (dnf.conf's
    ``pluginconfpath``).
    """

    def __init__(self, base, releasever=DEFAULT_RELEASEVER, client=None):
        self.base = str(base)
        self.root = os.path.join(self.base, "root")
        self.releasever = releasever
        # The countme_harness.clients.Client whose dnf runs here (None: the host's).
        self.client = client
        # The running system's /etc as a run sees it: for a chroot client a copy of the
        # chroot's /etc mounted over it; on the host only its machine-id is overlaid.
        self.running_etc = os.path.join(self.base, "running-etc")
        if client is not None and client.chroot is not None:
            shutil.copytree(client.chroot.host_path("/etc"), self.running_etc, symlinks=True)
        else:
            os.makedirs(self.running_etc, exist_ok=True)
        self.basearch = host_basearch()
        self.plugin_dirs = []
        self.plugin_conf_dir = self.path("etc/dnf/plugins")
        self.repos_dir = self.path("etc/yum.repos.d")
        self.persistdir = self.path("var/lib/dnf")
        self.dnf_conf_path = self.path("etc/dnf/dnf.conf")
        self.repos = {}
        for directory in (self.plugin_conf_dir, self.repos_dir, self.persistdir, self.path("var/cache/dnf")):
            os.makedirs(directory, exist_ok=True)
        os.chmod(self.root, 0o755)
        # As on a real system: dnf run by a user keeps its cache in <root>/var/tmp/dnf-<user>-*.
        os.makedirs(self.path("var/tmp"), exist_ok=True)
        os.chmod(self.path("var/tmp"), 0o1777)
        self.write_dnf_conf()
        self.write_os_release(DEFAULT_OS_RELEASE)
        self.write_machine_id()

    def path(self, relative):
        """Host path of ``relative`` (e.g. ``etc/os-release``) inside the root."""
        return os.path.join(self.root, relative.lstrip("/"))

    # -- configuration -----------------------------------------------------

    def write_dnf_conf(self, extra=None):
        """Write a minimal ``etc/dnf/dnf.conf``; ``extra`` adds or overrides [main] options.

        ``extra`` is a dict (its keys replace the defaults) or text appended as is.
        """
        options = {
            "gpgcheck": "0",
            # Root-relative: dnf looks for reposdir inside the installroot first,
            # which keeps it valid when the root is mounted elsewhere (non-root runs).
            "reposdir": "/etc/yum.repos.d",
            "skip_if_unavailable": "False",
            # pluginpath and pluginconfpath are host paths. Empty pluginpath: no
            # plugins, not even the host's; run_dnf adds ``plugin_dirs``.
            "pluginpath": "",
            "pluginconfpath": self.plugin_conf_dir,
        }
        if isinstance(extra, dict):
            options.update(extra)
            extra = None
        text = "[main]\n" + _options_text(options) + _options_text(extra)
        _write(self.dnf_conf_path, text)
        return self.dnf_conf_path

    def add_repo(self, repo_id, *, mirrorlist=None, metalink=None, baseurl=None, countme=True,
                 extra=None, filename=None):
        """Write a repo section (appended when ``filename`` already holds one); returns its path.

        ``baseurl`` is a URL or a list of them. ``countme`` True/False writes
        ``countme=1``/``countme=0``; None leaves the option out. ``extra`` adds
        options (dict or text).
        """
        baseurls = [baseurl] if isinstance(baseurl, str) else list(baseurl or ())
        lines = ["[%s]" % repo_id, "name=Test repository %s" % repo_id]
        if metalink:
            lines.append("metalink=%s" % metalink)
        if mirrorlist:
            lines.append("mirrorlist=%s" % mirrorlist)
        if baseurls:
            lines.append("baseurl=%s" % " ".join(baseurls))
        lines += ["enabled=1", "gpgcheck=0"]
        if countme is not None:
            lines.append("countme=%d" % bool(countme))
        text = "\n".join(lines) + "\n" + _options_text(extra)
        path = os.path.join(self.repos_dir, filename or "%s.repo" % repo_id)
        if os.path.exists(path):
            with open(path) as handle:
                text = handle.read().rstrip("\n") + "\n\n" + text
        _write(path, text)
        self.repos[repo_id] = RepoConfig(repo_id, metalink, mirrorlist, tuple(baseurls), path)
        return path

    def write_os_release(self, text):
        """Write the root's ``etc/os-release`` (libdnf itself reads the host's: see dnfrun)."""
        path = self.path("etc/os-release")
        _write(path, text)
        return path

    def write_machine_id(self, content=DEFAULT_MACHINE_ID, mtime=None, where="both"):
        """Write /etc/machine-id: ``where`` is "installroot", "running" (the root dnf runs
        in: libdnf >= 0.73.2 reads that one even with --installroot) or "both" (a system
        whose dnf runs without --installroot). ``content`` None removes the file
        (on the host, run_dnf then hides the host's file in the run's mount namespace)."""
        paths = []
        if where in ("both", "installroot"):
            paths.append(self.path("etc/machine-id"))
        if where in ("both", "running"):
            paths.append(self.running_machine_id_path)
        for path in paths:
            if content is None:
                if os.path.lexists(path):
                    os.unlink(path)
                continue
            _write(path, content)
            if mtime is not None:
                os.utime(path, (mtime, mtime))
        return paths[0]

    @property
    def running_machine_id_path(self):
        return os.path.join(self.running_etc, "machine-id")

    @property
    def client_is_host(self):
        return self.client is None or self.client.chroot is None

    # -- what libdnf leaves behind -----------------------------------------

    def substitute(self, text):
        """``text`` with dnf's $releasever, $basearch and $arch (also ``${...}``) filled in."""
        values = {"releasever": self.releasever, "basearch": self.basearch, "arch": platform.machine()}

        def replace(match):
            name = match.group(1) or match.group(2)
            return values.get(name, match.group(0))

        return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, text) if text else text

    def cookie_path(self, repo_id):
        """Where the model says libdnf keeps this repo's countme cookie."""
        repo = self.repos[repo_id]
        return cookie_model.cookie_path(
            self.persistdir,
            repo_id,
            metalink=self.substitute(repo.metalink),
            mirrorlist=self.substitute(repo.mirrorlist),
            baseurls=[self.substitute(url) for url in repo.baseurls],
        )

    def cookie_text(self, repo_id):
        """The cookie file's bytes as text, or None when there is no such file."""
        path = self.cookie_path(repo_id)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("latin-1")

    def read_cookie(self, repo_id):
        """The cookie as the model parses it, or None when libdnf has written none."""
        text = self.cookie_text(repo_id)
        return None if text is None else cookie_model.parse_cookie(text)

    def cookie_dirs(self):
        """Names of the directories libdnf made under ``<persistdir>/repos``."""
        repos = os.path.join(self.persistdir, "repos")
        return sorted(os.listdir(repos)) if os.path.isdir(repos) else []


def _options_text(extra):
    if not extra:
        return ""
    if isinstance(extra, str):
        return extra if extra.endswith("\n") else extra + "\n"
    return "".join("%s=%s\n" % item for item in extra.items())


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
