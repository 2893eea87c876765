"""The table of scenario keys: every key, its type and allowed values, and what it means.

:data:`SCHEMA` mirrors the TOML: a dict is a table, a :class:`~alma_countme.sim.config.specs.Spec`
a key. The enumerations here (classes, behaviours, majors, arches, ...) are also
the order the catalog numbers them in.
"""

import re

from alma_countme.sim.config.specs import (
    VERSION,
    Choice,
    Database,
    Date,
    Float,
    Int,
    Mix,
    Monday,
    PerMajor,
    Range,
    Schedule,
    Share,
    Text,
    VersionWeeks,
)

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
# versions.mix and versions.releases together; keeps the item key of generation/week.py in 64 bits.
MAX_VERSIONS = 60
_AGE_RANGE = re.compile(r"(0|[1-9][0-9]*)-([1-9][0-9]*)\Z")


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
                   name_check=lambda name: bool(VERSION.match(name)),
                   names_text='"MAJOR.MINOR" with MAJOR 8, 9 or 10'),
        "releases": VersionWeeks("versions released during the run; minor upgrades then move to them"),
        "minor_upgrade_per_week": Share("weekly share of systems behind their major's newest minor "
                                        "that upgrade"),
        "major_upgrade_per_week": PerMajor(
            Share("share"), "weekly share of systems upgrading to the next major (new mirrorlist URL, new "
                            "cookies); only once a version of it is in versions.mix or out",
            majors=("8", "9")),
        "countme_since": PerMajor(Date("date"), "when the repo files of each major started to carry "
                                                "countme=1", majors=MAJORS),
        "metadata_expire": PerMajor(Int(3600, 31_536_000, "seconds"),
                                    "metadata_expire of the repo files, seconds", majors=MAJORS),
    },
    "arches": {
        "mix": Mix(ARCHES, "base architectures"),
        "x86_64_v2_share": Share("share of AlmaLinux 10 x86_64 systems on the x86_64_v2 build"),
    },
    "os_release": {
        "mix": Mix(OS_RELEASES, "os-release variants: stock, with a VARIANT_ID, rebranded NAME, "
                                "missing file"),
        "variant_id": Text("VARIANT_ID of the variant-id systems", pattern=r"[0-9a-z._-]{1,40}\Z",
                           allowed_text="1 to 40 characters of 0-9, a-z, '.', '_' and '-' (os-release's "
                                        "VARIANT_ID: lower case, no spaces)"),
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
