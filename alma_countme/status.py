"""``dnf countme status``: what this system sends, why, and when, as a dict and as text.

The dict is the ``--json`` document; its schema (``alma-countme-status``,
version :data:`SCHEMA_VERSION`) is documented in doc/countme-status-schema.md
and only grows: fields are added, never renamed or removed, without a version
bump. Predictions come from the one model (:mod:`alma_countme.model`) applied
to the cookie libdnf will read, after the plugin's install epoch.

Runs on Python 3.6: standard library only. Reads files, never writes any.
"""

import collections
import time

from . import __version__, installtime
from .cookie import cookie_path, format_cookie, is_countable, parse_cookie
from .epochfix import is_well_formed
from .installtime import install_time, machine_id, no_install_time, query_rpmdb_install_time, read_rpmdb_cache
from .libdnfversion import derives_epoch_itself, epoch_rule
from .model import (
    BUCKET_LABELS,
    BUDGET,
    DEFAULT_COOKIE,
    EPOCH_MACHINE_ID,
    bucket,
    client_step,
    next_countable_time,
    system_epoch_for,
    weeks_between,
    window_start,
)
from .optout import is_opted_out
from .repofiles import effective_line, option_lines, parse_bool, read_bytes
from .settings import SOURCE_NONE

SCHEMA = "alma-countme-status"
SCHEMA_VERSION = 1

# Where a repo's countme value comes from (dnf's option priorities, named).
FROM_REPO_FILE = "repo-file"
FROM_MAIN_CONFIG = "main-config"
FROM_COMMAND_LINE = "command-line"
FROM_RUNTIME = "runtime"
FROM_DEFAULT = "default"

RepoFacts = collections.namedtuple(
    "RepoFacts",
    "id name enabled enabled_from_command_line countme countme_from repofile metalink mirrorlist baseurls",
)
RepoFacts.__doc__ = """One repo as dnf configured it, before the plugin changed anything:
``countme`` is the configured value and ``countme_from`` one of the FROM_* names;
``enabled_from_command_line`` is True when this run's options (``--repo``,
``--enablerepo``, ``--setopt``) decided ``enabled``."""

Facts = collections.namedtuple(
    "Facts",
    "now installroot persistdir uid do_not_track plugin_enabled plugin_conf_path settings "
    "settings_problems libdnf_version user_agent main_conf_path optout_path optout_state "
    "optout_problem repos substitute",
)
Facts.__doc__ = """Everything the report needs that only dnf knows; the rest is read from files."""


class _Draw(object):
    """A stand-in for ``random`` that always draws the lowest or the highest budget."""

    def __init__(self, highest):
        self.highest = highest

    def randint(self, low, high):
        return high if self.highest else low


def iso_time(when):
    if when is None:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    except (OverflowError, ValueError, OSError):
        return None


def iso_date(when):
    text = iso_time(when)
    return text[:10] if text else None


def flag_url(url, flag):
    """The URL librepo requests when it appends the one-time flag to ``url``."""
    return url + ("&" if "?" in url else "?") + flag


def _reason(code, message, path=None, line=None):
    return collections.OrderedDict([("code", code), ("message", message), ("path", path), ("line", line)])


def _requests_until_flag(cookie, when, system_epoch, highest):
    """How many eligible requests at ``when`` until the flag, and the Step that carries it."""
    for count in range(1, 2 * BUDGET + 2):
        step = client_step(cookie, when, system_epoch, rng=_Draw(highest))
        if step.flag:
            return count, step
        cookie = step.cookie
    return None, None


def predict_next_flag(cookie, now, system_epoch=None):
    """When, with which bucket, and after how many eligible requests the next flag goes out.

    The earliest week is certain once that many requests happen in it; fewer
    requests carry the unspent budget into later weeks (and maybe a later bucket).
    """
    when = next_countable_time(cookie, now)
    fewest, step = _requests_until_flag(cookie, when, system_epoch, highest=False)
    most, _ = _requests_until_flag(cookie, when, system_epoch, highest=True)
    if step is None:
        # A damaged budget far above 1..4: libdnf spends one per request until it runs out.
        fewest = most = cookie.budget
        _, step = _requests_until_flag(cookie._replace(budget=1), when, system_epoch, highest=False)
    week = step.cookie.window
    return collections.OrderedDict([
        ("earliest", when),
        ("earliest_iso", iso_time(when)),
        ("week_start", week),
        ("week_start_iso", iso_date(week)),
        ("bucket", step.bucket),
        ("bucket_label", BUCKET_LABELS.get(step.bucket)),
        ("flag", "countme=%d" % step.bucket),
        ("requests_min", fewest),
        ("requests_max", most),
    ])


def _machine_id_report(found):
    return collections.OrderedDict([
        ("path", found.path), ("valid", found.valid), ("mtime", found.mtime),
        ("mtime_iso", iso_time(found.mtime)), ("problem", found.problem),
    ])


def _rpmdb_report(facts):
    cached = read_rpmdb_cache(facts.persistdir)
    live, problem = query_rpmdb_install_time(facts.installroot)
    return collections.OrderedDict([
        ("time", live), ("time_iso", iso_time(live)),
        ("kept", cached), ("kept_iso", iso_time(cached)), ("problem", problem),
    ])


def _install_report(facts):
    found = machine_id(installtime.RUNNING_ROOT, facts.now)
    install = install_time(facts.settings.epoch_source, facts.installroot, facts.persistdir, facts.now)
    report = collections.OrderedDict([
        ("source", install.source), ("configured_source", facts.settings.epoch_source),
        ("time", install.time), ("time_iso", iso_time(install.time)),
        ("epoch", install.epoch), ("epoch_iso", iso_date(install.epoch)), ("problem", install.problem),
        ("machine_id", _machine_id_report(found)),
        ("rpmdb", _rpmdb_report(facts)),
    ])
    return install, report


def _epoch_fix(facts, install):
    """Whether ordinary root runs get the install epoch written into cookies, and why (not)."""
    if not facts.plugin_enabled:
        return False, "the plugin is disabled"
    if derives_epoch_itself(facts.libdnf_version):
        return False, "libdnf %s derives the epoch from /etc/machine-id itself" % facts.libdnf_version
    if facts.settings.epoch_source == SOURCE_NONE:
        return False, "epoch_source=none in the plugin configuration"
    if install.epoch is None:
        return False, "no install time (%s): libdnf uses the first counted week" % install.problem
    return True, "the plugin writes the install epoch %s into the cookie of every counted repo" % (
        iso_date(install.epoch))


def _system_epoch(facts):
    """The epoch libdnf >= 0.73.2 takes itself (from the running system's /etc/machine-id)."""
    if not derives_epoch_itself(facts.libdnf_version):
        return None
    return system_epoch_for(EPOCH_MACHINE_ID, installtime.libdnf_machine_id_mtime(installtime.RUNNING_ROOT))


def _read_lines(path, section, option, substitute):
    """Option lines of ``section`` in ``path``: ``(lines, problem)``."""
    if not path:
        return [], None
    try:
        return option_lines(read_bytes(path), section, option, substitute, path=path), None
    except (IOError, OSError) as exc:
        return [], "cannot read %s: %s" % (path, exc.strerror or exc)


def _countme_source(facts, repo):
    """Where the repo's countme value comes from, the commented-out lines, and read problems."""
    source = collections.OrderedDict([("kind", repo.countme_from), ("path", None), ("line", None),
                                      ("text", None), ("problem", None)])
    lines, problem = _read_lines(repo.repofile, repo.id, "countme", facts.substitute)
    commented = [line for line in lines if line.commented and parse_bool(line.value)]
    if repo.countme_from == FROM_REPO_FILE:
        source["path"], source["problem"] = repo.repofile, problem
        found = effective_line(lines)
        if found:
            source["line"], source["text"] = found.line, found.text
    elif repo.countme_from == FROM_MAIN_CONFIG:
        main_lines, source["problem"] = _read_lines(facts.main_conf_path, "main", "countme", facts.substitute)
        source["path"] = facts.main_conf_path
        found = effective_line(main_lines)
        if found:
            source["line"], source["text"] = found.line, found.text
    return source, commented, problem


def _enabled_for_ordinary_runs(facts, repo):
    """``enabled`` as dnf runs without this command line's repo options see it."""
    if not repo.enabled_from_command_line:
        return repo.enabled
    lines, _ = _read_lines(repo.repofile, repo.id, "enabled", facts.substitute)
    found = effective_line(lines)
    value = parse_bool(found.value) if found else True
    return repo.enabled if value is None else value


def _cookie_report(facts, repo, install, fix_active):
    path = cookie_path(facts.persistdir, repo.id, repo.metalink, repo.mirrorlist, list(repo.baseurls))
    report = collections.OrderedDict([("path", path), ("exists", False), ("problem", None)])
    text = None
    try:
        text = read_bytes(path).decode("latin-1")
        report["exists"] = True
    except FileNotFoundError:
        pass
    except (IOError, OSError) as exc:
        report["exists"] = True
        report["problem"] = "cannot read: %s (libdnf reads the defaults %s)" % (
            exc.strerror or exc, format_cookie(DEFAULT_COOKIE))
    cookie = DEFAULT_COOKIE if text is None else parse_cookie(text)
    if text is not None and not is_well_formed(text):
        report["problem"] = "damaged (%r); libdnf reads it as %s" % (text[:40], format_cookie(cookie))
    counted = cookie.window != DEFAULT_COOKIE.window
    after_fix = cookie._replace(epoch=install.epoch) if fix_active else cookie
    report.update([
        ("text", text),
        ("epoch", cookie.epoch), ("epoch_iso", iso_date(cookie.epoch) if cookie.epoch else None),
        ("window", cookie.window),
        ("last_counted_week", iso_date(cookie.window) if counted else None),
        ("counted_this_week", counted and cookie.window == window_start(facts.now)),
        ("budget", cookie.budget),
        ("epoch_after_fix", after_fix.epoch if fix_active else None),
    ])
    return report, after_fix


def _repo_report(facts, repo, fix_active, install, system_epoch, global_off):
    source, commented, _ = _countme_source(facts, repo)
    enabled = _enabled_for_ordinary_runs(facts, repo)
    url = repo.metalink or repo.mirrorlist or None
    reasons = []
    if not enabled:
        reasons.append(_reason("repo-disabled", "the repository is disabled", repo.repofile))
    if not repo.countme:
        reasons.append(_countme_off_reason(repo, source, commented))
    for code, message, path in global_off:
        reasons.append(_reason(code, message, path))
    if facts.plugin_enabled and not facts.optout_state.all and is_opted_out(facts.optout_state, repo.id):
        reasons.append(_reason("opted-out", "this repository is opted out", facts.optout_path))
    countable = is_countable(repo.metalink, repo.mirrorlist)
    if not countable:
        reasons.append(_reason(
            "no-mirrorlist-or-metalink",
            "no mirrorlist or metalink: libdnf never counts a repository reached by baseurl only",
            repo.repofile))
    will_send = not reasons
    countme_effective = repo.countme and not any(
        reason["code"] in ("opted-out", "do-not-track") for reason in reasons)
    cookie, after_fix = _cookie_report(facts, repo, install, fix_active and will_send)
    upcoming = None
    if will_send:
        upcoming = predict_next_flag(after_fix, facts.now, system_epoch)
        upcoming["url"] = flag_url(url, upcoming["flag"])
    return collections.OrderedDict([
        ("id", repo.id), ("name", repo.name), ("enabled", enabled), ("countme", countme_effective),
        ("countme_configured", repo.countme), ("countme_source", source),
        ("commented_out", [collections.OrderedDict([("path", line.path), ("line", line.line),
                                                     ("text", line.text)]) for line in commented]),
        ("repofile", repo.repofile),
        ("url", url),
        ("url_kind", "metalink" if repo.metalink else ("mirrorlist" if repo.mirrorlist else None)),
        ("countable", countable), ("will_send", will_send), ("reasons", reasons),
        ("cookie", cookie), ("next", upcoming),
    ])


def _countme_off_reason(repo, source, commented):
    where = "%s:%s" % (source["path"], source["line"]) if source["line"] else source["path"]
    if repo.countme_from == FROM_REPO_FILE:
        return _reason("countme-off-in-file", "countme is off in %s" % where, source["path"], source["line"])
    if commented:
        line = commented[-1]
        return _reason("countme-commented-out", "the countme=1 line is commented out at %s:%d"
                       % (line.path, line.line), line.path, line.line)
    if repo.countme_from == FROM_MAIN_CONFIG:
        return _reason("countme-off-in-main-config", "countme is off in [main] of %s" % where,
                       source["path"], source["line"])
    if repo.countme_from == FROM_COMMAND_LINE:
        return _reason("countme-off-on-command-line", "countme is off on this command line (--setopt)")
    if repo.countme_from == FROM_RUNTIME:
        return _reason("countme-off-at-runtime", "another plugin or API user switched countme off")
    return _reason("countme-not-set", "countme is not set for this repository (dnf's default is off)",
                   repo.repofile)


def _global_reasons(facts):
    """System-wide reasons: ``(reasons for the report, reasons that switch every repo off)``."""
    reasons, off = [], []
    state = facts.optout_state
    opted_out_all = state.all
    if not facts.plugin_enabled:
        reasons.append(_reason(
            "plugin-disabled",
            "the countme plugin is disabled (enabled=0 in %s): ordinary dnf runs do not load it, so the "
            "opt-out, DO_NOT_TRACK and the install-time epoch are not applied" % facts.plugin_conf_path,
            facts.plugin_conf_path))
        if opted_out_all or state.repos:
            reasons.append(_reason(
                "opt-out-not-enforced",
                "this system is opted out in %s, but only the plugin enforces that" % facts.optout_path,
                facts.optout_path))
    else:
        if facts.optout_problem:
            reasons.append(_reason("opt-out-file-damaged", facts.optout_problem, facts.optout_path))
        if opted_out_all:
            off.append(("opted-out", "this system is opted out of countme", facts.optout_path))
        if facts.do_not_track:
            off.append(("do-not-track", "DO_NOT_TRACK is set in this environment", None))
    reasons.extend(_reason(code, message, path) for code, message, path in off)
    if facts.uid != 0:
        reasons.append(_reason(
            "not-root",
            "dnf runs as uid %d never send countme (libdnf counts only as root); the rest of this "
            "report is for dnf runs as root" % facts.uid))
    return reasons, off


def build_report(facts):
    """The status document (an ordered dict, ready for ``json.dumps``)."""
    install, install_report = _install_report(facts)
    if not facts.plugin_enabled:
        install = no_install_time("the plugin is disabled")
    fix_active, fix_reason = _epoch_fix(facts, install)
    system_epoch = _system_epoch(facts)
    reasons, global_off = _global_reasons(facts)
    repos = [_repo_report(facts, repo, fix_active, install, system_epoch, global_off) for repo in facts.repos]
    sending = [repo["id"] for repo in repos if repo["will_send"]]
    age = collections.OrderedDict([("weeks", None), ("bucket", None), ("bucket_label", None),
                                   ("rule", "first counted week of each repository")])
    age_epoch = install.epoch if fix_active else system_epoch
    if age_epoch is not None:
        this_week = window_start(facts.now)
        age_bucket = bucket(age_epoch, this_week)
        age.update([("weeks", weeks_between(age_epoch, this_week)), ("bucket", age_bucket),
                    ("bucket_label", BUCKET_LABELS.get(age_bucket)), ("rule", "install time")])
    state = facts.optout_state
    return collections.OrderedDict([
        ("schema", SCHEMA),
        ("version", SCHEMA_VERSION),
        ("generated_at", int(facts.now)),
        ("generated_at_iso", iso_time(facts.now)),
        ("installroot", facts.installroot),
        ("will_send", bool(sending)),
        ("sending_repos", sending),
        ("reasons", reasons),
        ("plugin", collections.OrderedDict([
            ("enabled", facts.plugin_enabled), ("version", __version__),
            ("config_path", facts.plugin_conf_path), ("epoch_source", facts.settings.epoch_source),
            ("problems", list(facts.settings_problems)),
        ])),
        ("libdnf", collections.OrderedDict([
            ("version", facts.libdnf_version), ("epoch_rule", epoch_rule(facts.libdnf_version)),
            ("derives_epoch_itself", derives_epoch_itself(facts.libdnf_version)),
        ])),
        ("epoch_fix", collections.OrderedDict([("active", fix_active), ("reason", fix_reason)])),
        ("opt_out", collections.OrderedDict([
            ("path", facts.optout_path), ("all", state.all), ("repos", list(state.repos)),
            ("repo_file_edits", [collections.OrderedDict([
                ("path", edit.path), ("line", edit.line), ("section", edit.section), ("kind", edit.kind),
            ]) for edit in state.edits]),
            ("problem", facts.optout_problem),
        ])),
        ("do_not_track", facts.do_not_track),
        ("running_as_root", facts.uid == 0),
        ("install_time", install_report),
        ("age", age),
        ("user_agent", facts.user_agent),
        ("repos", repos),
    ])


def render_text(report):
    """The report for people: a summary, then one block per repository."""
    out = []
    sending = report["sending_repos"]
    if sending:
        out.append("countme: dnf runs as root send countme for %d of %d repositories: %s."
                   % (len(sending), len(report["repos"]), ", ".join(sending)))
    else:
        out.append("countme: this system sends no countme at all.")
    for reason in report["reasons"]:
        out.append("  - " + reason["message"])
    install = report["install_time"]
    if install["source"]:
        out.append("Install time: %s (from %s), counted from the week of %s."
                   % (install["time_iso"], install["source"], install["epoch_iso"]))
    else:
        out.append("Install time: unknown (%s)." % install["problem"])
    machine = install["machine_id"]
    out.append("  machine-id: %s" % (
        ("mtime " + machine["mtime_iso"]) if machine["valid"] else machine["problem"]))
    rpmdb = install["rpmdb"]
    out.append("  rpm database: %s" % (("oldest package installed " + rpmdb["time_iso"]) if rpmdb["time"]
                                        else rpmdb["problem"]))
    age = report["age"]
    if age["bucket"] is not None:
        out.append("Age: %d weeks -> bucket %d (%s)." % (age["weeks"], age["bucket"], age["bucket_label"]))
    else:
        out.append("Age: counted from each repository's first counted week (libdnf's own rule).")
    out.append("libdnf %s: %s." % (report["libdnf"]["version"], report["epoch_fix"]["reason"]))
    opt = report["opt_out"]
    if opt["all"]:
        out.append("Opt-out: every repository (%s)." % opt["path"])
    elif opt["repos"]:
        out.append("Opt-out: %s (%s)." % (", ".join(opt["repos"]), opt["path"]))
    else:
        out.append("Opt-out: none.")
    if opt["repo_file_edits"]:
        out.append("  repo file lines set by opt-out: " + ", ".join(
            "%s:%d" % (edit["path"], edit["line"]) for edit in opt["repo_file_edits"]))
    out.append("User-Agent: %s" % report["user_agent"])
    out.append("")
    out.append("Repositories:")
    for repo in report["repos"]:
        out.extend(_render_repo(repo))
    return "\n".join(out) + "\n"


_SOURCE_WORDS = {
    FROM_REPO_FILE: "set in the repo file",
    FROM_MAIN_CONFIG: "set in dnf.conf [main]",
    FROM_COMMAND_LINE: "set on this command line",
    FROM_RUNTIME: "set at runtime by another plugin",
    FROM_DEFAULT: "not set; dnf's default",
}


def _render_repo(repo):
    source = repo["countme_source"]
    where = _SOURCE_WORDS.get(source["kind"], source["kind"])
    if source["path"] and source["line"]:
        where = "%s:%s" % (source["path"], source["line"])
    lines = ["  %s: countme=%d (%s)%s" % (
        repo["id"], repo["countme_configured"], where, "" if repo["enabled"] else ", repository disabled")]
    if not repo["countme_configured"]:
        for commented in repo["commented_out"]:
            lines.append("    commented out: %s:%d  %s"
                         % (commented["path"], commented["line"], commented["text"]))
    for reason in repo["reasons"]:
        lines.append("    not sent: " + reason["message"])
    if repo["url"]:
        lines.append("    %s: %s" % (repo["url_kind"], repo["url"]))
    cookie = repo["cookie"]
    budget = cookie["budget"]
    lines.append("    cookie: %s (%s)"
                 % (cookie["path"], "present" if cookie["exists"] else "not written yet"))
    lines.append("      last counted week: %s; budget: %s" % (
        cookie["last_counted_week"] or "never",
        "drawn anew (1 to 4 requests)" if budget < 0 else "%d request(s) left" % budget))
    if cookie["problem"]:
        lines.append("      problem: " + cookie["problem"])
    upcoming = repo["next"]
    if upcoming:
        requests = str(upcoming["requests_min"])
        if upcoming["requests_max"] != upcoming["requests_min"]:
            requests = "%d to %d" % (upcoming["requests_min"], upcoming["requests_max"])
        lines.append("    next: %s in the week of %s, on eligible request %s from %s" % (
            upcoming["flag"], upcoming["week_start_iso"], requests, upcoming["earliest_iso"]))
        lines.append("      sends: GET %s" % upcoming["url"])
    return lines
