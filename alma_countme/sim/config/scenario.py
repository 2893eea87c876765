"""Scenarios: the shipped default, a user's file over it, --set over both; checked key by key.

A scenario is TOML. The default ships as ``scenarios/default.toml``; a user's
file only names the keys it changes. Every key is described in :data:`SCHEMA`
with its allowed values; a key that is unknown or out of range is reported with
the file (or ``--set``) it came from and what is allowed.
"""

import datetime
import json
import math
import os
import re
import sys

from alma_countme.sim.common.errors import SimError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
DEFAULT_PATH = os.path.join(SCENARIO_DIR, "default.toml")

CLASSES = ("server", "desktop", "cloud", "ci")
BEHAVIOURS = ("legacy", "machine-id", "plugin", "opted-out", "countme-removed")
MAJORS = ("8", "9", "10")
ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
ROLES = ("baseos", "appstream", "extras", "crb", "highavailability", "plus", "resilientstorage",
         "sap", "saphana", "rt", "nfv")
OS_RELEASES = ("stock", "variant-id", "rebranded", "missing")
NOISE_KINDS = ("curl", "monitoring-head", "old-yum", "bots", "scanners")
RETRY_STATUSES = ("200", "499", "503", "504")
FORMATS = ("almalinux", "fedora")
SHARE_TOLERANCE = 1e-6
MAX_VERSIONS = 60
# mirrors-countme ignores countme data before this Monday (its COUNTME_START_TIME).
FIRST_COUNTED_MONDAY = datetime.date(2020, 2, 10)
_VERSION = re.compile(r"(8|9|10)\.(0|[1-9][0-9]?)\Z")
_AGE_RANGE = re.compile(r"(0|[1-9][0-9]*)-([1-9][0-9]*)\Z")
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


class Spec:
    """One key's type and allowed values."""

    atomic = True  # a new value replaces the old one as a whole

    def __init__(self, doc):
        self.doc = doc

    def allowed(self):
        raise NotImplementedError

    def check(self, value, key):
        """The value, normalised; raises ValueError(reason) when it is not allowed."""
        raise NotImplementedError


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a number: %r" % (value,))
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number: %r" % (value,))
    return value


class Int(Spec):
    def __init__(self, low, high, doc):
        super().__init__(doc)
        self.low, self.high = low, high

    def allowed(self):
        return "an integer from %s to %s" % (self.low, self.high)

    def check(self, value, key):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not an integer: %r" % (value,))
        if not self.low <= value <= self.high:
            raise ValueError("%d is out of range" % value)
        return value


class Float(Spec):
    def __init__(self, low, high, doc):
        super().__init__(doc)
        self.low, self.high = low, high

    def allowed(self):
        return "a number from %s to %s" % (self.low, self.high)

    def check(self, value, key):
        value = float(_number(value))
        if not self.low <= value <= self.high:
            raise ValueError("%s is out of range" % value)
        return value


def Share(doc):
    return Float(0.0, 1.0, doc)


class Choice(Spec):
    def __init__(self, choices, doc):
        super().__init__(doc)
        self.choices = choices

    def allowed(self):
        return "one of: %s" % ", ".join(self.choices)

    def check(self, value, key):
        if value not in self.choices:
            raise ValueError("%r is not allowed" % (value,))
        return value


class Text(Spec):
    def __init__(self, doc, pattern=r"[ -~]{1,80}\Z"):
        super().__init__(doc)
        self.pattern = re.compile(pattern)

    def allowed(self):
        return "printable ASCII text, 1 to 80 characters, no double quote or semicolon"

    def check(self, value, key):
        if not isinstance(value, str) or not self.pattern.match(value) or '"' in value or ";" in value:
            raise ValueError("%r is not allowed" % (value,))
        return value


class Monday(Spec):
    def allowed(self):
        return "a date (YYYY-MM-DD, no quotes) that is a Monday, from %s on" % FIRST_COUNTED_MONDAY

    def check(self, value, key):
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError("not a date: %r" % (value,))
        if value.weekday() != 0:
            raise ValueError("%s is a %s" % (value, value.strftime("%A")))
        if value < FIRST_COUNTED_MONDAY:
            raise ValueError("%s is before mirrors-countme's first counted week" % value)
        return value


class Date(Spec):
    def allowed(self):
        return "a date (YYYY-MM-DD, no quotes)"

    def check(self, value, key):
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError("not a date: %r" % (value,))
        return value


class Range(Spec):
    def __init__(self, low, high, doc):
        super().__init__(doc)
        self.low, self.high = low, high

    def allowed(self):
        return "[LOW, HIGH] with %s <= LOW <= HIGH <= %s" % (self.low, self.high)

    def check(self, value, key):
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("not a pair [LOW, HIGH]: %r" % (value,))
        low, high = (float(_number(v)) for v in value)
        if not self.low <= low <= high <= self.high:
            raise ValueError("%r is out of range or not in order" % (value,))
        return [low, high]


class Mix(Spec):
    """Shares of named things that add up to 1."""

    def __init__(self, names, doc, name_check=None, names_text=None):
        super().__init__(doc)
        self.names = names
        self.name_check = name_check
        self.names_text = names_text

    def allowed(self):
        names = self.names_text or ", ".join(self.names)
        return "a table {NAME = SHARE, ...} of shares adding up to 1; NAME: %s" % names

    def check(self, value, key):
        if not isinstance(value, dict) or not value:
            raise ValueError("not a non-empty table of shares: %r" % (value,))
        result = {}
        for name, share in value.items():
            if self.name_check is not None:
                if not self.name_check(name):
                    raise ValueError("%r is not an allowed name" % name)
            elif name not in self.names:
                raise ValueError("%r is not an allowed name" % name)
            share = float(_number(share))
            if not 0.0 <= share <= 1.0:
                raise ValueError("share of %r is %s, not between 0 and 1" % (name, share))
            result[name] = share
        total = sum(result.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError("shares add up to %.6g, not 1" % total)
        return result


class PerMajor(Spec):
    """A value for each major version; a file may change some of them."""

    atomic = False

    def __init__(self, value_spec, doc, majors=MAJORS):
        super().__init__(doc)
        self.value_spec = value_spec
        self.majors = majors

    def allowed(self):
        items = ", ".join('"%s" = V' % major for major in self.majors)
        return "a table {%s}, V: %s" % (items, self.value_spec.allowed())

    def check(self, value, key):
        if not isinstance(value, dict):
            raise ValueError("not a table: %r" % (value,))
        result = {}
        for major in self.majors:
            if major not in value:
                raise ValueError("no value for major version %s" % major)
        for major, item in value.items():
            if major not in self.majors:
                raise ValueError("%r is not one of %s" % (major, ", ".join(self.majors)))
            try:
                result[major] = self.value_spec.check(item, key)
            except ValueError as error:
                raise ValueError('"%s": %s' % (major, error)) from None
        return result


class VersionWeeks(Spec):
    """Versions released during the run: {"9.8" = WEEK}."""

    def allowed(self):
        return 'a table {"MAJOR.MINOR" = WEEK, ...}, MAJOR 8, 9 or 10, WEEK a week of the run (0 = first)'

    def check(self, value, key):
        if not isinstance(value, dict):
            raise ValueError("not a table: %r" % (value,))
        for version, week in value.items():
            if not _VERSION.match(version):
                raise ValueError("%r is not MAJOR.MINOR with MAJOR 8, 9 or 10" % version)
            if isinstance(week, bool) or not isinstance(week, int) or week < 0:
                raise ValueError("week of %s must be an integer >= 0, not %r" % (version, week))
        return dict(value)


class Schedule(Spec):
    """A share that changes during the run: {"WEEK" = SHARE, ...}, each from its week on."""

    def allowed(self):
        return ('a table {"WEEK" = SHARE, ...}, WEEK a week of the run (0 = first), SHARE from 0 to 1, '
                'not decreasing from week to week; {} = never')

    def check(self, value, key):
        if not isinstance(value, dict):
            raise ValueError("not a table: %r" % (value,))
        steps = []
        for week, share in value.items():
            if not re.match(r"(0|[1-9][0-9]*)\Z", week):
                raise ValueError("%r is not a week number" % week)
            share = float(_number(share))
            if not 0.0 <= share <= 1.0:
                raise ValueError("share of week %s is %s, not between 0 and 1" % (week, share))
            steps.append((int(week), share))
        steps.sort()
        for (week, share), (_, before) in zip(steps[1:], steps):
            if share < before:
                raise ValueError("share drops in week %d (%s after %s)" % (week, share, before))
        return {str(week): share for week, share in steps}


def schedule_at(schedule, week):
    """The share a :class:`Schedule` value gives ``week`` (0 before its first step)."""
    share = 0.0
    for step, value in schedule.items():
        if int(step) <= week:
            share = value
    return share


class Database(Spec):
    """Where countries come from: none, Debian's geoip-database, or a MaxMind DB file."""

    def allowed(self):
        return ('"none" (no countries), "geoip-database" (Debian\'s /usr/share/GeoIP/GeoIP.dat and '
                'GeoIPv6.dat) or the path of a MaxMind DB country database (.mmdb)')

    def check(self, value, key):
        if not isinstance(value, str) or not value or "\0" in value or len(value) > 4096:
            raise ValueError("%r is not allowed" % (value,))
        return value


def _country_code(name):
    return bool(re.match(r"[A-Z]{2}\Z", name))


def _age_name(name):
    match = _AGE_RANGE.match(name)
    return bool(match) and int(match.group(1)) < int(match.group(2)) <= 5200


def _timezone_name(name):
    try:
        hours = float(name)
    except ValueError:
        return False
    return -12.0 <= hours <= 14.0 and (hours * 4).is_integer() and name.strip() == name


def _class_fields(extra):
    fields = {
        "share": Share("share of the population at the start"),
        "lifetime_weeks": Float(0.1, 5200,
                                "mean weeks until a system is decommissioned (weekly rate 1/lifetime)"),
        "timer": Share("share with dnf-makecache.timer enabled"),
        "runs_per_week": Float(0.0, 28.0, "interactive or scripted dnf runs per week (while switched on)"),
        "non_root_share": Share("share of those runs made as a user: they fetch without countme"),
        "refresh_share": Share("share of root runs that refresh metadata even when it has not expired"),
        "machine_id_missing": Share("share without a valid /etc/machine-id"),
        "ipv6": Share("share reaching the mirror service over IPv6"),
        "nat": Share("share behind a NAT shared with other systems (IPv4)"),
        "nat_size": Float(1.0, 1000.0, "mean number of systems behind one NAT address"),
        "dynamic_ip": Share("share whose address changes (DHCP churn, IPv6 privacy addresses)"),
        "lease_days": Float(0.05, 365.0, "days an address lasts for those"),
    }
    fields.update(extra)
    return fields


_CI_FIELDS = {
    "share": Share("share of the population at the start that are CI pipelines"),
    "lifetime_weeks": Float(0.1, 5200, "mean weeks until a pipeline is retired"),
    "containers_per_day": Float(0.0, 10000.0,
                                "containers per pipeline and day; each runs dnf once as root with a fresh "
                                "cookie"),
    "ipv6": Share("share of pipelines reaching the service over IPv6"),
    "nat": Share("share of pipelines behind a NAT shared with other pipelines"),
    "nat_size": Float(1.0, 1000.0, "mean number of pipelines behind one NAT address"),
    "dynamic_ip": Share("share whose address changes"),
    "lease_days": Float(0.05, 365.0, "days an address lasts for those"),
}

SCHEMA = {
    "run": {
        "seed": Int(0, 2 ** 63 - 1, "the random seed (--seed overrides it)"),
        "start": Monday(None),
        "weeks": Int(1, 520, "weeks simulated; mirrors-countme holds the last one back as provisional"),
    },
    "output": {
        "format": Choice(FORMATS, "log format (--format overrides it)"),
        "servers": Int(1, 64, "load-balanced service nodes mirror1..mirrorN, one log each per UTC day "
                              "(--servers overrides it)"),
        "fedora_metalink_share": Share("fedora format: share of systems using /metalink, "
                                       "the rest /mirrorlist"),
    },
    "population": {
        "size": Int(1, 20_000_000, "systems at the start (persistent systems and CI pipelines)"),
        "growth_per_week": Float(-0.5, 0.5, "net growth per week, as a share of the starting size"),
        "install_age_weeks": Mix((), "install age at the start of servers and desktops, by range of weeks",
                                 name_check=_age_name, names_text='"LOW-HIGH" (weeks), e.g. "5-25"'),
    },
    "versions": {
        "mix": Mix((), "AlmaLinux versions (os-release VERSION_ID) at the start",
                   name_check=lambda name: bool(_VERSION.match(name)),
                   names_text='"MAJOR.MINOR" with MAJOR 8, 9 or 10'),
        "releases": VersionWeeks("versions released during the run; minor upgrades then move to them"),
        "minor_upgrade_per_week": Share("weekly share of systems behind their major's newest minor "
                                        "that upgrade"),
        "major_upgrade_per_week": PerMajor(
            Share("share"), "weekly share of systems upgrading to the next major (new mirrorlist URL, new "
                            "cookies); only once a version of it is in versions.mix or out",
            majors=("8", "9")),
        "countme_since": PerMajor(Date("date"), "when the repo files of each major started to carry "
                                                "countme=1"),
        "metadata_expire": PerMajor(Int(3600, 31_536_000, "seconds"),
                                    "metadata_expire of the repo files, seconds"),
    },
    "arches": {
        "mix": Mix(ARCHES, "base architectures"),
        "x86_64_v2_share": Share("share of AlmaLinux 10 x86_64 systems on the x86_64_v2 build"),
    },
    "os_release": {
        "mix": Mix(OS_RELEASES, "os-release variants: stock, with a VARIANT_ID, rebranded NAME, "
                                "missing file"),
        "variant_id": Text("VARIANT_ID of the variant-id systems", pattern=r"[0-9a-z._-]{1,40}\Z"),
        "rebranded_name": Text("NAME of the rebranded systems (a derivative or a renamed image)"),
    },
    "behaviour": {
        major: Mix(BEHAVIOURS, "client behaviour of AlmaLinux %s: libdnf's own epoch rule (legacy or "
                               "machine-id), the countme plugin, opted out, countme removed from the repo "
                               "files" % major)
        for major in MAJORS
    },
    "rollout": {
        "plugin_share_by_week": Schedule(
            "share of the systems on libdnf's legacy epoch rule that have the countme plugin, from each "
            "week of the run on (the fleet installs it as the weeks pass); {} = no rollout"),
    },
    "countries": {
        "database": Database(
            "IP-to-country database the addresses come from; with one, every system gets a country of "
            "countries.mix and its addresses lie in networks the database assigns to it"),
        "mix": Mix((), "countries of the systems (their address groups) when countries.database is set",
                   name_check=_country_code, names_text="ISO 3166 two-letter codes as the database uses "
                                                        "them, e.g. US, DE"),
    },
    "repos": {
        "enabled": {role: Share("share of systems with %s enabled (where it exists)" % role)
                    for role in ROLES},
        "stale": Share("share of systems with a repo the service does not know (every request answered 404)"),
    },
    "timer": {
        "boot_delay": Int(0, 86400, "seconds from boot to the first dnf-makecache.timer check"),
        "check_interval": Int(60, 604800, "mean seconds between dnf-makecache.timer checks"),
    },
    "classes": {
        "server": _class_fields({}),
        "desktop": _class_fields({
            "on_weekday": Share("chance a desktop is switched on on a weekday"),
            "on_weekend": Share("chance a desktop is switched on on a Saturday or Sunday"),
            "start_hours": Range(0.0, 23.0, "local hour it is switched on, uniform in [LOW, HIGH]"),
            "hours_on": Range(0.1, 24.0, "hours it stays on, uniform in [LOW, HIGH]"),
            "timezones": Mix((), "UTC offsets of desktops, hours",
                             name_check=_timezone_name,
                             names_text='"-12" to "14" in quarter hours, e.g. "5.5"'),
        }),
        "cloud": _class_fields({
            "image_cookie": Share("share of instances whose image kept a countme cookie from its build"),
            "image_age_weeks": Range(0.0, 520.0, "age of the image at launch, weeks, uniform in [LOW, HIGH]"),
            "cloud_init_update": Share("share that run `dnf update` at first boot"),
        }),
        "ci": _CI_FIELDS,
    },
    "clock": {
        "skew_share": Share("share of systems whose clock is minutes off"),
        "skew_minutes": Range(-1440.0, 1440.0, "their offset, minutes, uniform in [LOW, HIGH]"),
        "far_skew_share": Share("share whose clock is days off"),
        "far_skew_days": Range(-3650.0, 3650.0, "their offset, days, uniform in [LOW, HIGH]"),
    },
    "offline": {
        "start_per_week": Share("weekly share of systems that go offline"),
        "mean_weeks": Float(1.0, 520.0, "mean weeks they stay offline"),
    },
    "retries": {
        "share": Share("share of requests whose first try fails and is retried without countme"),
        "first_status": Mix(RETRY_STATUSES, "status logged for the failed first try"),
        "delay_seconds": Range(0.0, 3600.0, "seconds to the retry, uniform in [LOW, HIGH]"),
    },
    "noise": {
        "lines_per_1000_systems": Float(0.0, 1e6, "requests from other clients per 1000 systems and week"),
        "mix": Mix(NOISE_KINDS, "kinds of other clients (see doc/countme-sim.md)"),
    },
}
SCHEMA["run"]["start"].doc = "first day simulated (UTC); countme windows start on Mondays"


def _describe_key(path):
    return ".".join(path)


def _spec_at(path, source):
    """The Spec (or table dict) at ``path``; SimError naming the allowed keys when there is none.

    One level below a PerMajor spec, the spec of its items is returned.
    """
    node = SCHEMA
    for depth, part in enumerate(path):
        if isinstance(node, PerMajor) and depth == len(path) - 1 and part in node.majors:
            return node.value_spec
        if not isinstance(node, dict) or part not in node:
            where = _describe_key(path[:depth]) or "the top level"
            if isinstance(node, dict):
                allowed = "allowed keys: %s" % ", ".join(node)
            elif isinstance(node, PerMajor):
                allowed = "allowed keys: %s" % ", ".join(node.majors)
            else:
                allowed = "%s takes a whole value: %s" % (where, node.allowed())
            raise SimError("%s: unknown key %r in %s; %s" % (source, _describe_key(path), where, allowed))
        node = node[part]
    return node


def _merge(target, data, path, source, sources):
    """Merge ``data`` (parsed TOML) into ``target`` under the schema, recording each leaf's source."""
    node = _spec_at(path, source) if path else SCHEMA
    if isinstance(node, dict):
        if not isinstance(data, dict):
            raise SimError("%s: %s must be a table with keys: %s"
                           % (source, _describe_key(path), ", ".join(node)))
        for key, value in data.items():
            child = _spec_at(path + (key,), source)
            if isinstance(child, dict) or not child.atomic:
                _merge(target.setdefault(key, {}), value, path + (key,), source, sources)
            else:
                target[key] = value
                sources[path + (key,)] = source
        return
    # A non-atomic spec (PerMajor): merge item by item.
    if not isinstance(data, dict):
        target.clear()
        target["__value__"] = data
        sources[path] = source
        return
    target.pop("__value__", None)
    for key, value in data.items():
        target[key] = value
        sources[path + (key,)] = source
    sources.setdefault(path, source)


def _source_of(path, sources):
    for depth in range(len(path), 0, -1):
        if path[:depth] in sources:
            return sources[path[:depth]]
    return "the scenario"


def _validate(tree, node, path, sources):
    if isinstance(node, dict):
        result = {}
        for key, child in node.items():
            if key not in tree:
                raise SimError("%s: key %s is missing"
                               % (_source_of(path, sources), _describe_key(path + (key,))))
            result[key] = _validate(tree[key], child, path + (key,), sources)
        return result
    value = tree.get("__value__", tree) if isinstance(tree, dict) and not node.atomic else tree
    try:
        return node.check(value, _describe_key(path))
    except ValueError as error:
        if isinstance(value, dict) and not node.atomic:
            # Name the file that set the offending item, when one did.
            item = str(error).split('"')[1] if str(error).startswith('"') else None
            source = _source_of(path, sources)
            if item:
                source = sources.get(path + (item,), source)
        else:
            source = _source_of(path, sources)
        raise SimError("%s: key %s: %s; allowed: %s"
                       % (source, _describe_key(path), error, node.allowed())) from None


def _read_toml(path, label):
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise SimError("cannot read %s %s: %s" % (label, path, error.strerror or error)) from None
    except tomllib.TOMLDecodeError as error:
        raise SimError("%s %s is not valid TOML: %s" % (label, path, error)) from None


def parse_assignment(text):
    """``key.path=value`` of --set: (path tuple, value); the value is TOML, else a plain string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SimError("--set %s: expected KEY=VALUE, e.g. --set population.size=10000" % text)
    try:
        value = tomllib.loads("value = " + raw.strip())["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return tuple(part.strip().strip('"') for part in key.split(".")), value


def shipped():
    """``[(name, path, first line of its comment)]`` of the scenarios that ship with the simulator."""
    result = []
    for entry in sorted(os.listdir(SCENARIO_DIR)):
        if not entry.endswith(".toml"):
            continue
        path = os.path.join(SCENARIO_DIR, entry)
        with open(path, encoding="utf-8") as handle:
            first = handle.readline().lstrip("#").strip()
        result.append((entry[:-len(".toml")], path, first))
    return result


def resolve(path):
    """A scenario file's path: ``path`` itself, or the shipped scenario of that name (e.g. ``rollout``)."""
    if path is None or os.path.exists(path):
        return path
    for name, shipped_path, _ in shipped():
        if path in (name, name + ".toml"):
            return shipped_path
    return path


def load(path=None, assignments=()):
    """The effective scenario: the default, then the file at ``path`` (or the shipped scenario of that
    name), then ``--set`` assignments."""
    path = resolve(path)
    sources = {}
    tree = {}
    default = _read_toml(DEFAULT_PATH, "default scenario")
    _merge(tree, default, (), "default scenario %s" % DEFAULT_PATH, sources)
    if path is not None:
        _merge(tree, _read_toml(path, "scenario"), (), "scenario %s" % path, sources)
    for text in assignments:
        key, value = parse_assignment(text)
        source = "--set %s" % text
        node = _spec_at(key, source)
        if isinstance(node, dict):
            raise SimError("%s: %s is a table; set one of its keys: %s"
                           % (source, ".".join(key), ", ".join(node)))
        parent = tree
        for part in key[:-1]:
            parent = parent.setdefault(part, {})
        if node.atomic:
            parent.pop("__value__", None)
            parent[key[-1]] = value
            sources[key] = source
        else:
            parent[key[-1]] = {}
            _merge(parent[key[-1]], value, key, source, sources)
    scenario = _validate(tree, SCHEMA, (), sources)
    _check_consistency(scenario, sources)
    return scenario


def _check_consistency(scenario, sources):
    """Rules that span keys."""
    shares = {name: scenario["classes"][name]["share"] for name in CLASSES}
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        origins = sorted({_source_of(("classes", name, "share"), sources) for name in CLASSES})
        raise SimError("%s: keys classes.<class>.share add up to %.6g, not 1 (%s)" % (
            "; ".join(origins), total, ", ".join("%s %s" % item for item in shares.items())))
    versions = set(scenario["versions"]["mix"]) | set(scenario["versions"]["releases"])
    if len(versions) > MAX_VERSIONS:
        raise SimError("%s: keys versions.mix and versions.releases name %d versions; allowed: at most %d"
                       % (_source_of(("versions", "mix"), sources), len(versions), MAX_VERSIONS))
    for version, week in scenario["versions"]["releases"].items():
        if week >= scenario["run"]["weeks"]:
            raise SimError("%s: key versions.releases: %s comes out in week %d, after the run's %d weeks"
                           % (_source_of(("versions", "releases"), sources), version, week,
                              scenario["run"]["weeks"]))


def to_toml(scenario):
    """The scenario as TOML text, in schema order, that :func:`load` reads back to the same values."""
    lines = ["# countme-sim effective scenario (defaults + scenario file + --set)", ""]
    _toml_table(scenario, SCHEMA, (), lines)
    return "\n".join(lines).rstrip("\n") + "\n"


def _toml_table(values, schema, path, lines):
    scalars = [key for key, spec in schema.items() if not isinstance(spec, dict)]
    tables = [key for key, spec in schema.items() if isinstance(spec, dict)]
    if scalars and path:
        lines.append("[%s]" % ".".join(_toml_key(p) for p in path))
    for key in scalars:
        lines.append("%s = %s" % (_toml_key(key), _toml_value(values[key])))
    if scalars and path:
        lines.append("")
    for key in tables:
        _toml_table(values[key], schema[key], path + (key,), lines)


def _toml_key(key):
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[%s]" % ", ".join(_toml_value(item) for item in value)
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict):
        return "{ %s }" % ", ".join("%s = %s" % (_toml_key(k), _toml_value(v)) for k, v in value.items())
    raise TypeError("cannot write %r as TOML" % (value,))


def to_json(value):
    """The scenario as plain JSON data (dates as ISO strings)."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def describe_keys():
    """``[(key, allowed, default, doc)]`` for every key, for ``countme-sim scenario --keys``."""
    defaults = load()
    rows = []

    def walk(schema, values, path):
        for key, spec in schema.items():
            if isinstance(spec, dict):
                walk(spec, values[key], path + (key,))
            else:
                rows.append((".".join(path + (key,)), spec.allowed(), _toml_value(values[key]), spec.doc))

    walk(SCHEMA, defaults, ())
    return rows
