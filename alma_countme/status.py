"""``dnf countme status``: what this system sends, why, and when, as one document (a dict).

The dict is the ``--json`` document; its schema (``alma-countme-status``,
version :data:`SCHEMA_VERSION`) is documented in doc/countme-status-schema.md
and only grows: fields are added, never renamed or removed, without a version
bump. Predictions come from the one model (:mod:`alma_countme.model`) applied
to the cookie libdnf will read, after the plugin's install epoch.

This module builds the document from the facts dnf hands over
(:mod:`alma_countme.statusfacts`) and the system-wide parts; each repository's
entry is :mod:`alma_countme.statusrepo`'s, its next flag
:mod:`alma_countme.nextflag`'s; :mod:`alma_countme.statustext` renders the
document as text.

Runs on Python 3.6: standard library only. Reads files, never writes any.
"""

import collections

from . import __version__, installtime
from .installtime import install_time, machine_id, no_install_time, query_rpmdb_install_time, read_rpmdb_cache
from .isotime import iso_date, iso_time
from .libdnfversion import derives_epoch_itself, epoch_rule
from .model import BUCKET_LABELS, EPOCH_MACHINE_ID, bucket, system_epoch_for, weeks_between, window_start
from .settings import SOURCE_NONE
from .statusrepo import reason_entry, repo_report

SCHEMA = "alma-countme-status"
SCHEMA_VERSION = 1


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
        # statustext puts "libdnf VERSION: " before every reason: this one must not repeat it.
        return False, "it derives the epoch from /etc/machine-id itself"
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


def _global_reasons(facts):
    """System-wide reasons: ``(reasons for the report, reasons that switch every repo off)``."""
    reasons, off = [], []
    state = facts.optout_state
    opted_out_all = state.all
    if not facts.plugin_enabled:
        reasons.append(reason_entry(
            "plugin-disabled",
            "the countme plugin is disabled (enabled=0 in %s): ordinary dnf runs do not load it, so the "
            "opt-out, DO_NOT_TRACK and the install-time epoch are not applied" % facts.plugin_conf_path,
            facts.plugin_conf_path))
        if opted_out_all or state.repos:
            reasons.append(reason_entry(
                "opt-out-not-enforced",
                "this system is opted out in %s, but only the plugin enforces that" % facts.optout_path,
                facts.optout_path))
    else:
        if facts.optout_problem:
            reasons.append(reason_entry("opt-out-file-damaged", facts.optout_problem, facts.optout_path))
        if opted_out_all:
            off.append(("opted-out", "this system is opted out of countme", facts.optout_path))
        if facts.do_not_track:
            off.append(("do-not-track", "DO_NOT_TRACK is set in this environment", None))
    reasons.extend(reason_entry(code, message, path) for code, message, path in off)
    if facts.uid != 0:
        reasons.append(reason_entry(
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
    repos = [repo_report(facts, repo, fix_active, install, system_epoch, global_off) for repo in facts.repos]
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
