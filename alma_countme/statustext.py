"""``dnf countme status`` for people: the status document (:func:`alma_countme.status.build_report`)
as text, a summary first, then one block per repository.

Runs on Python 3.6: standard library only.
"""

from .statusfacts import FROM_COMMAND_LINE, FROM_DEFAULT, FROM_MAIN_CONFIG, FROM_REPO_FILE, FROM_RUNTIME


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
