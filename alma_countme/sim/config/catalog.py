"""What a scenario's requests can look like: versions, arches, repos, User-Agents, paths.

Lines are described by small integers (a UA index, a path index, a status
index...) while simulating; this catalog turns them into the strings of the
log and into the fields of mirrors-countme's totals. Both formats share the
same indices, so a simulation does not depend on the log format except where
the format changes what counts (see :meth:`Catalog.truth_repo`).
"""

import collections
import re

import numpy as np

from alma_countme.sim.config import schema
from alma_countme.useragent import user_agent

ROLES = schema.ROLES + ("stale",)
ROLE_INDEX = {role: index for index, role in enumerate(ROLES)}
STALE = ROLE_INDEX["stale"]
BASEOS = ROLE_INDEX["baseos"]
MAJORS = schema.MAJORS
ARCHES = schema.ARCHES + ("x86_64_v2",)
X86_64, X86_64_V2 = ARCHES.index("x86_64"), ARCHES.index("x86_64_v2")
OS_RELEASES = schema.OS_RELEASES
BEHAVIOURS = schema.BEHAVIOURS
LEGACY, MACHINE_ID, PLUGIN, OPTED_OUT, COUNTME_REMOVED = range(len(BEHAVIOURS))
CLASSES = schema.CLASSES
SERVER, DESKTOP, CLOUD, CI = range(len(CLASSES))
METHODS = ("GET", "HEAD")
GET, HEAD = 0, 1
STATUSES = (200, 302, 404, 499, 503, 504)
STATUS_INDEX = {status: index for index, status in enumerate(STATUSES)}
COUNTED_STATUSES = (STATUS_INDEX[200], STATUS_INDEX[302])
PROTOCOL = "HTTP/1.1"
STYLE_MIRRORLIST, STYLE_METALINK = 0, 1

# Repo ids in the stock repo files of each major (doc/background.md §3); None: no such repo.
REPO_IDS = {
    "8": ("baseos", "appstream", "extras", "powertools", "ha", "plus", "resilientstorage",
          "sap", "saphana", "rt", "nfv", "PowerTools"),
    "9": ("baseos", "appstream", "extras", "crb", "highavailability", "plus", "resilientstorage",
          "sap", "saphana", "rt", "nfv", "powertools"),
    "10": ("baseos", "appstream", "extras", "crb", "highavailability", "plus", None,
           "sap", "saphana", "rt", "nfv", "powertools"),
}
# Arches each role is built for (chosen; see doc/countme-sim.md). The stale repo
# exists nowhere, so it "exists" on every arch: the service answers 404.
_ALL = frozenset(ARCHES)
_ROLE_ARCHES = {
    "baseos": _ALL, "appstream": _ALL, "extras": _ALL, "crb": _ALL, "stale": _ALL,
    "highavailability": frozenset({"x86_64", "aarch64", "ppc64le", "s390x"}),
    "resilientstorage": frozenset({"x86_64", "aarch64", "ppc64le", "s390x"}),
    "plus": frozenset({"x86_64", "aarch64", "ppc64le", "s390x"}),
    "sap": frozenset({"x86_64", "ppc64le", "s390x"}),
    "saphana": frozenset({"x86_64", "ppc64le"}),
    "rt": frozenset({"x86_64"}),
    "nfv": frozenset({"x86_64"}),
}

# Response sizes: a mirrorlist lists a few dozen mirror URLs; error pages are small.
_MIRRORLIST_BYTES = 2000
_METALINK_BYTES = 4600
_ERROR_BYTES = {404: 207, 499: 0, 503: 197, 504: 167, 302: 0}

# Other clients the service sees (noise). Paths: (almalinux path, fedora path, status).
_VALID = [("/mirrorlist/%s/%s" % (major, repo),
           "/mirrorlist?repo=almalinux-%s-%s&arch=x86_64" % (repo, major), 200)
          for major in MAJORS for repo in ("baseos", "appstream")]
NOISE = collections.OrderedDict([
    ("curl", dict(agents=("curl/7.61.1", "curl/7.76.1", "curl/8.5.0", "Wget/1.21.1"),
                  method=GET, paths=_VALID, pool=64)),
    ("monitoring-head", dict(agents=("check_http/v2.3.3 (monitoring-plugins 2.3.3)", "curl/7.76.1",
                                     "Zabbix", "Blackbox Exporter/0.25.0"),
                             method=HEAD, paths=_VALID, pool=8)),
    ("old-yum", dict(agents=("urlgrabber/3.10 yum/3.4.3", "urlgrabber/3.9.1 yum/3.2.29"),
                     method=GET, pool=32,
                     paths=[("/mirrorlist/7/%s" % repo,
                             "/mirrorlist?repo=almalinux-%s-7&arch=x86_64" % repo, 404)
                            for repo in ("baseos", "extras", "updates")])),
    ("bots", dict(agents=("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                          "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                          "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
                  method=GET, pool=16,
                  paths=_VALID + [("/mirrorlist/", "/mirrorlist", 404), ("/", "/", 200)])),
    ("scanners", dict(agents=("Mozilla/5.0 zgrab/0.x", "python-requests/2.31.0", "Go-http-client/1.1", "-"),
                      method=GET, pool=32,
                      paths=[("/.env", "/.env", 404), ("/wp-login.php", "/wp-login.php", 404),
                             ("/mirrorlist", "/mirrorlist", 404),
                             ("/admin/config.php", "/admin/config.php", 404)])),
])
NOISE_KINDS = tuple(NOISE)

# mirrors-countme's reading of a libdnf User-Agent (its COUNTME_USER_AGENT_PATTERN),
# used to know which OS fields a correct pipeline files each of our agents under.
_AGENT_FIELDS_EMPTY = ("", "", "", "")
_LIBDNF_AGENT = re.compile(
    r"(?:libdnf|rpm-ostree)(?:/\S+)?\s+\((.*)\s([0-9a-z._-]*?);\s([0-9a-z._-]*);\s[\w./]+\.(\w+)\)", re.ASCII)


def agent_fields(agent):
    """(os_name, os_version, os_variant, os_arch) as mirrors-countme reads ``agent``."""
    match = _LIBDNF_AGENT.fullmatch(agent)
    return match.groups() if match else _AGENT_FIELDS_EMPTY


def _version_key(version):
    major, minor = version.split(".")
    return int(major), int(minor)


class Catalog:
    """The strings and tables of one scenario and log format."""

    def __init__(self, scenario, fmt):
        self.scenario = scenario
        self.format = fmt
        versions = set(scenario["versions"]["mix"]) | set(scenario["versions"]["releases"])
        self.versions = sorted(versions, key=_version_key)
        self.version_major = np.array([MAJORS.index(v.split(".")[0]) for v in self.versions], np.int8)
        self.release_week = np.array([scenario["versions"]["releases"].get(v, -1) for v in self.versions],
                                     np.int16)
        self._build_agents()
        self._build_paths()
        self.truth_tag, self.repo_pairs = self.truth_repos()

    # ---- versions -------------------------------------------------------------------------------

    def newest(self, week):
        """Per major index: the newest version index released by ``week`` (-1 when none)."""
        result = np.full(len(MAJORS), -1, np.int16)
        for index in range(len(self.versions)):
            if self.release_week[index] <= week:
                result[self.version_major[index]] = index  # versions are sorted: the last wins
        return result

    # ---- User-Agents ----------------------------------------------------------------------------

    def _os_release(self, version, kind):
        name = "AlmaLinux"
        if kind == "missing":
            return {}
        if kind == "rebranded":
            name = self.scenario["os_release"]["rebranded_name"]
        data = {"NAME": name, "VERSION_ID": version}
        if kind == "variant-id":
            data["VARIANT_ID"] = self.scenario["os_release"]["variant_id"]
        return data

    def _build_agents(self):
        agents = []
        for version in self.versions:
            for arch in ARCHES:
                for kind in OS_RELEASES:
                    agents.append(user_agent(self._os_release(version, kind), arch))
        self.system_agent_count = len(agents)
        self.noise_agent_offsets = {}
        for kind, spec in NOISE.items():
            self.noise_agent_offsets[kind] = len(agents)
            agents.extend(spec["agents"])
        self.agents = agents
        fields = [agent_fields(agent) for agent in agents]
        unique = sorted(set(fields))
        self.agent_fields = unique
        self.agent_fields_id = np.array([unique.index(f) for f in fields], np.int32)

    def agent_index(self, version, arch, os_release):
        """UA index of systems with these (array) version, arch and os-release indices."""
        return (version.astype(np.int32) * len(ARCHES) + arch) * len(OS_RELEASES) + os_release

    # ---- paths ----------------------------------------------------------------------------------

    def _build_paths(self):
        """Path index = ((major * ROLES + role) * ARCHES + arch) * 2 + style; noise paths after."""
        self.system_path_count = len(MAJORS) * len(ROLES) * len(ARCHES) * 2
        self.noise_paths = []
        self.noise_path_offsets = {}
        for kind, spec in NOISE.items():
            self.noise_path_offsets[kind] = self.system_path_count + len(self.noise_paths)
            self.noise_paths.extend(spec["paths"])
        self.path_count = self.system_path_count + len(self.noise_paths)
        system = np.arange(self.system_path_count)
        self.path_role = np.concatenate([(system // 2 // len(ARCHES)) % len(ROLES),
                                         np.full(len(self.noise_paths), -1)]).astype(np.int16)
        available = np.zeros((len(MAJORS), len(ROLES), len(ARCHES)), bool)
        for m, major in enumerate(MAJORS):
            for r, role in enumerate(ROLES):
                for a, arch in enumerate(ARCHES):
                    exists = REPO_IDS[major][r] is not None and arch in _ROLE_ARCHES[role]
                    # The x86_64_v2 build exists for AlmaLinux 10 only, with its core repos.
                    if arch == "x86_64_v2":
                        exists = exists and major == "10" and role in ("baseos", "appstream", "extras", "crb",
                                                                       "stale")
                    available[m, r, a] = exists
        self.available = available
        # The service answers 404 for the stale repo, 200 for every other.
        self.path_status = np.full(self.path_count, STATUS_INDEX[200], np.int8)
        for major in range(len(MAJORS)):
            for arch in range(len(ARCHES)):
                for style in (0, 1):
                    self.path_status[self.system_path(major, STALE, arch, style)] = STATUS_INDEX[404]
        for index, (_, _, status) in enumerate(self.noise_paths):
            self.path_status[self.system_path_count + index] = STATUS_INDEX[status]

    def system_path(self, major, role, arch, style):
        return ((major * len(ROLES) + role) * len(ARCHES) + arch) * 2 + style

    def system_paths(self, major, role, arch, style):
        """Array form of :meth:`system_path`."""
        path = ((major.astype(np.int32) * len(ROLES) + role) * len(ARCHES) + arch) * 2 + style
        return path.astype(np.int32)

    def _decode_system_path(self, path):
        path, style = divmod(path, 2)
        path, arch = divmod(path, len(ARCHES))
        major, role = divmod(path, len(ROLES))
        return MAJORS[major], ROLES[role], ARCHES[arch], style

    def request_target(self, path, countme):
        """The request target (path and query) of path index ``path`` with countme N (0: none)."""
        if path >= self.system_path_count:
            almalinux, fedora, _ = self.noise_paths[path - self.system_path_count]
            target = almalinux if self.format == "almalinux" else fedora
        else:
            major, role, arch, style = self._decode_system_path(path)
            repo = REPO_IDS[major][ROLES.index(role)]
            if self.format == "almalinux":
                target = "/mirrorlist/%s/%s" % (major, repo)
                if arch == "x86_64_v2":
                    target += "?arch=x86_64_v2"
            else:
                endpoint = "metalink" if style == STYLE_METALINK else "mirrorlist"
                target = "/%s?repo=almalinux-%s-%s&arch=%s" % (endpoint, repo, major, arch)
        if countme:
            target += ("&" if "?" in target else "?") + "countme=%d" % countme
        return target

    def response_bytes(self, path, status, method):
        status = STATUSES[status]
        if method == HEAD or status != 200:
            return 0 if method == HEAD else _ERROR_BYTES[status]
        if path >= self.system_path_count:
            return _MIRRORLIST_BYTES + 17 * (path - self.system_path_count)
        major, role, _, style = self._decode_system_path(path)
        base = _METALINK_BYTES if (style == STYLE_METALINK and self.format == "fedora") else _MIRRORLIST_BYTES
        return base + 31 * ROLES.index(role) + 64 * MAJORS.index(major)

    def truth_repo(self, path):
        """(repo_tag, repo_arch) a correct pipeline files a counted request of ``path`` under.

        fedora: the ``repo`` and ``arch`` query keys; almalinux: the repo id from
        ``/mirrorlist/<releasever>/<repo>`` and the ``arch`` query key, blank when absent.
        """
        major, role, arch, _ = self._decode_system_path(path)
        repo = REPO_IDS[major][ROLES.index(role)]
        if self.format == "fedora":
            return "almalinux-%s-%s" % (repo, major), arch
        return repo, ("x86_64_v2" if arch == "x86_64_v2" else "")

    def truth_repos(self):
        """Per path index: an id of the (repo_tag, repo_arch) a correct pipeline files it under
        (-1 where it does not count the path at all), and the list of those pairs."""
        pairs, seen = [], {}
        ids = np.full(self.path_count, -1, np.int32)
        for path in range(self.path_count):
            pair = self._truth_repo_of(path)
            if pair is None:
                continue
            if pair not in seen:
                seen[pair] = len(pairs)
                pairs.append(pair)
            ids[path] = seen[pair]
        return ids, pairs

    def _truth_repo_of(self, path):
        if path < self.system_path_count:
            major, role, _, _ = self._decode_system_path(path)
            return None if REPO_IDS[major][ROLES.index(role)] is None else self.truth_repo(path)
        almalinux, fedora, _ = self.noise_paths[path - self.system_path_count]
        if self.format == "fedora":
            endpoint, _, query = fedora.partition("?")
            if endpoint not in ("/mirrorlist", "/metalink") or not query:
                return None
            fields = dict(item.split("=", 1) for item in query.split("&") if "=" in item)
            return fields.get("repo", ""), fields.get("arch", "")
        parts = almalinux.split("/")
        if len(parts) != 4 or parts[1] != "mirrorlist" or not all(parts[2:]):
            return None
        return parts[3], ""
