"""One repository in ``dnf countme status``: where its countme value comes from, its cookie, whether
dnf runs as root send countme for it and, if so, when next; if not, every reason why.

Runs on Python 3.6: standard library only.
"""

import collections

from .cookie import cookie_path, format_cookie, is_countable, parse_cookie
from .epochfix import is_well_formed
from .isotime import iso_date
from .model import DEFAULT_COOKIE, window_start
from .nextflag import flag_url, predict_next_flag
from .optout import is_opted_out
from .repofiles import effective_line, option_lines, parse_bool, read_bytes
from .statusfacts import FROM_COMMAND_LINE, FROM_MAIN_CONFIG, FROM_REPO_FILE, FROM_RUNTIME


def reason_entry(code, message, path=None, line=None):
    """One entry of a ``reasons`` list: why countme is not sent, and the file and line that say so."""
    return collections.OrderedDict([("code", code), ("message", message), ("path", path), ("line", line)])


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


def repo_report(facts, repo, fix_active, install, system_epoch, global_off):
    source, commented, _ = _countme_source(facts, repo)
    enabled = _enabled_for_ordinary_runs(facts, repo)
    url = repo.metalink or repo.mirrorlist or None
    reasons = []
    if not enabled:
        reasons.append(reason_entry("repo-disabled", "the repository is disabled", repo.repofile))
    if not repo.countme:
        reasons.append(_countme_off_reason(repo, source, commented))
    for code, message, path in global_off:
        reasons.append(reason_entry(code, message, path))
    if facts.plugin_enabled and not facts.optout_state.all and is_opted_out(facts.optout_state, repo.id):
        reasons.append(reason_entry("opted-out", "this repository is opted out", facts.optout_path))
    countable = is_countable(repo.metalink, repo.mirrorlist)
    if not countable:
        reasons.append(reason_entry(
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
        return reason_entry("countme-off-in-file", "countme is off in %s" % where,
                            source["path"], source["line"])
    if commented:
        line = commented[-1]
        return reason_entry("countme-commented-out", "the countme=1 line is commented out at %s:%d"
                            % (line.path, line.line), line.path, line.line)
    if repo.countme_from == FROM_MAIN_CONFIG:
        return reason_entry("countme-off-in-main-config", "countme is off in [main] of %s" % where,
                            source["path"], source["line"])
    if repo.countme_from == FROM_COMMAND_LINE:
        return reason_entry("countme-off-on-command-line", "countme is off on this command line (--setopt)")
    if repo.countme_from == FROM_RUNTIME:
        return reason_entry("countme-off-at-runtime", "another plugin or API user switched countme off")
    return reason_entry("countme-not-set", "countme is not set for this repository (dnf's default is off)",
                        repo.repofile)
