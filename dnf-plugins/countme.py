# countme.py: the dnf countme plugin (dnf 4).
#
# Copyright (C) 2024 AlmaLinux OS Foundation and contributors.
# SPDX-License-Identifier: GPL-2.0-or-later
"""``dnf countme``: what countme sends and when, a system-wide opt-out, buckets from install time.

This file is only the glue to dnf; the logic lives in the ``alma_countme``
package (runtime, status, optcommands, ...), which runs on Python 3.6 with the
standard library only. On every dnf run the ``config()`` hook, before any
metadata is loaded:

1. turns countme off at runtime for the repos the system opted out of, or for
   all of them when ``DO_NOT_TRACK`` is set (runtime beats repo files and
   ``--setopt``);
2. on libdnf older than 0.73.2, run as root, writes the Monday-aligned install
   time into the cookie of every repo that will count, so that libdnf sends
   the bucket libdnf 0.73.2 would send.

Every step catches its own failures, logs one warning and lets dnf go on.
"""

import logging
import os
import time

import dnf
import dnf.cli
import dnf.conf
import dnf.exceptions

# Only what every dnf run needs; the command imports the rest when it runs.
from alma_countme import runtime, settings
from alma_countme.repofiles import parse_bool

logger = logging.getLogger("dnf")
PREFIX = "countme: "
SUBCOMMANDS = ("status", "opt-out", "opt-in")

# The plugin instance of this dnf run, for the command (dnf creates both).
_PLUGIN = []


def _libdnf_version():
    import hawkey  # already loaded by dnf; it carries libdnf's version

    return hawkey.VERSION


def _warn(message):
    logger.warning(PREFIX + message)


def _read_config_tolerantly(conf):
    """``(parser, problems)``: the plugin's config files as dnf reads them, minus what dnf cannot read.

    A file that does not parse is left out whole; an ``enabled`` value that is
    not a boolean is dropped (dnf's loader would raise on it).
    """
    import libdnf.conf

    parser, problems, good = libdnf.conf.ConfigParser(), [], []
    for directory in conf.pluginconfpath:
        path = os.path.join(directory, settings.CONFIG_NAME)
        if not os.path.isfile(path):
            continue
        try:
            parser.read(path)
            good.append(path)
        except Exception as exc:  # libdnf's parse error, or an unreadable file
            problems.append("%s cannot be read as an INI file (%s); ignoring it: the plugin stays enabled "
                            "with its default settings" % (path, _parse_error(exc)))
            parser = libdnf.conf.ConfigParser()
            for kept in good:
                parser.read(kept)
    if parser.has_section("main") and parser.has_option("main", "enabled"):
        try:
            parser.getboolean("main", "enabled")
        except ValueError:
            problems.append("%s: [main] enabled=%s is not 1/0, yes/no, true/false or on/off; ignoring it: "
                            "the plugin stays enabled" % (good[-1] if good else settings.CONFIG_NAME,
                                                          parser.get("main", "enabled", raw=True)))
            parser.remove_option("main", "enabled")
    return parser, problems


def _parse_error(exc):
    """libdnf's reason without the "Parsing file '...' failed:" wrapper that repeats the path."""
    text = str(exc)
    marker = "failed: "
    return text.split(marker, 1)[1] if marker in text else text


def _countme_from(repo_priority, main_priority):
    """Which configuration layer a repo's countme value comes from (statusfacts.FROM_* names).

    ``repo_priority`` and ``main_priority`` are dnf's option priorities of
    countme in the repo and in [main]; the repo's wins unless it is unset.
    """
    from alma_countme import statusfacts

    if repo_priority == dnf.conf.PRIO_REPOCONFIG:
        return statusfacts.FROM_REPO_FILE
    if repo_priority == dnf.conf.PRIO_COMMANDLINE:
        return statusfacts.FROM_COMMAND_LINE
    if repo_priority > dnf.conf.PRIO_REPOCONFIG:
        return statusfacts.FROM_RUNTIME
    if main_priority == dnf.conf.PRIO_COMMANDLINE:
        return statusfacts.FROM_COMMAND_LINE
    if main_priority == dnf.conf.PRIO_MAINCONFIG:
        return statusfacts.FROM_MAIN_CONFIG
    return statusfacts.FROM_DEFAULT


class Countme(dnf.Plugin):
    """Enforces the opt-out and DO_NOT_TRACK, writes install epochs, adds ``dnf countme``."""

    name = "countme"

    def __init__(self, base, cli):
        super(Countme, self).__init__(base, cli)
        self.settings = settings.DEFAULT_SETTINGS
        self.settings_problems = []
        self.conf_path = None
        self.enabled_in_conf = True
        # repo id -> (countme, its priority, [main]'s priority), before this plugin changed anything
        self.configured = {}
        self.switched_off = {}
        del _PLUGIN[:]
        _PLUGIN.append(self)
        if cli is not None:
            cli.register_command(CountmeCommand)

    @classmethod
    def read_config(cls, conf):
        """dnf.Plugin.read_config that never raises: dnf's plugin loader calls it for ``enabled``.

        dnf's own version makes every dnf command fail on a countme.conf that
        is not INI or holds ``enabled=maybe``. Here such a file is reported
        (by the config hook, once) and its bad part ignored: the plugin stays
        enabled, so the opt-out stays enforced.
        """
        return _read_config_tolerantly(conf)[0]

    def config(self):
        started = time.time()
        self._guarded("reading %s" % settings.CONFIG_NAME, self._read_settings)
        self._guarded("looking at the repositories' countme settings", self._remember_configuration)
        self._guarded("enforcing the countme opt-out", self._enforce_choices)
        self._guarded("writing the install epoch into countme cookies", self._write_install_epochs)
        logger.debug(PREFIX + "config hook took %.3f ms", (time.time() - started) * 1000.0)

    def _guarded(self, doing, step):
        try:
            step()
        except Exception as exc:  # never break dnf: one warning, then go on
            _warn("failed %s (%s: %s); dnf goes on without it" % (doing, type(exc).__name__, exc))

    def _read_settings(self):
        parser, conf_problems = _read_config_tolerantly(self.base.conf)
        options = dict(parser.items("main")) if parser.has_section("main") else {}
        paths = [os.path.join(path, settings.CONFIG_NAME) for path in self.base.conf.pluginconfpath]
        self.conf_path = next((path for path in paths if os.path.isfile(path)), None)
        self.settings, self.settings_problems = settings.parse_settings(
            options, self.conf_path or settings.CONFIG_NAME)
        self.settings_problems = conf_problems + self.settings_problems
        self.enabled_in_conf = parse_bool(options.get("enabled", "1")) is not False
        for problem in self.settings_problems:
            _warn(problem)

    def _remember_configuration(self):
        main_priority = self.base.conf._get_priority("countme")
        for repo in self.base.repos.values():
            self.configured[repo.id] = (bool(repo.countme), repo._get_priority("countme"), main_priority)

    def _enforce_choices(self):
        repos = list(self.base.repos.values())
        off, warnings = runtime.choices([repo.id for repo in repos], self.base.conf.installroot, os.environ)
        # dnf countme's own commands report a damaged opt-out file themselves: one word of it per run.
        if not isinstance(getattr(self.cli, "command", None), CountmeCommand):
            for warning in warnings:
                _warn(warning)
        for repo in repos:
            if repo.id in off:
                repo.countme = False
        self.switched_off = off
        if off:
            logger.debug(PREFIX + "countme off for %s", ", ".join("%s (%s)" % item for item in off.items()))

    def _write_install_epochs(self):
        if isinstance(getattr(self.cli, "command", None), CountmeCommand):
            return  # the plugin's own commands only look; the next real run writes
        views = [
            runtime.RepoView(repo.id, repo.enabled, bool(repo.countme), repo.metalink, repo.mirrorlist,
                             list(repo.baseurl))
            for repo in self.base.repos.values()
        ]
        outcome = runtime.write_install_epochs(
            runtime.counted_repos(views), self.base.conf.installroot, self.base.conf.persistdir,
            self.settings, _libdnf_version(), os.getuid(), int(time.time()),
        )
        for warning in outcome.warnings:
            _warn(warning)
        if outcome.skipped:
            logger.debug(PREFIX + "install epoch not written: %s", outcome.skipped)
        for fix in outcome.fixes:
            logger.debug(PREFIX + "cookie %s: %s", fix.path, fix.action)


class CountmeCommand(dnf.cli.Command):
    """``dnf countme [status|opt-out|opt-in] [--json] [--repo ID] [--repo-files]``."""

    aliases = ("countme",)
    summary = "show what countme sends and when; opt this system out of countme or back in"

    @staticmethod
    def set_argparser(parser):
        parser.add_argument(
            "subcommand", nargs="?", default="status", choices=SUBCOMMANDS,
            help="status (default): what this system sends and why; opt-out / opt-in (root): the "
                 "system-wide switch, limited to some repositories with dnf's --repo ID",
        )
        parser.add_argument("--json", action="store_true",
                            help="print one JSON document (schema alma-countme-status or the change made)")
        parser.add_argument("--repo-files", action="store_true",
                            help="opt-out: also write countme=0 into the .repo files (opt-in always "
                                 "undoes exactly those edits, with or without this option)")

    def pre_configure(self):
        # opt-in may name repositories that are gone from the repo files but still in the opt-out
        # record: dnf's own --repo handling would stop at them ("Unknown repo"), and opt-in needs no
        # repository enabled or disabled, so it matches the patterns itself.
        self.repo_patterns = self.opts.repo
        if self.opts.subcommand == "opt-in":
            self.opts.repo = []

    def configure(self):
        if self.opts.subcommand != "status":
            self.cli.demands.root_user = True
        elif self.opts.repo_files:
            raise dnf.cli.CliError(
                "--repo-files goes with opt-out (opt-in always undoes its edits), not status")

    def run(self):
        plugin = _PLUGIN[0] if _PLUGIN else None
        if plugin is None:
            raise dnf.exceptions.Error("the countme plugin is not loaded")
        if self.opts.subcommand == "status":
            self._status(plugin)
        else:
            self._switch(plugin)

    # -- helpers -------------------------------------------------------

    def _substitute(self):
        import libdnf.conf

        values = {key: value for key, value in self.base.conf.substitutions.items() if value is not None}
        return lambda text: libdnf.conf.ConfigParser.substitute(text, values)

    def _selected_ids(self, candidates):
        import fnmatch

        patterns = self.repo_patterns
        if not patterns:
            return None
        chosen = sorted(set(repo_id for repo_id in candidates
                            if any(fnmatch.fnmatch(repo_id, pattern) for pattern in patterns)))
        if not chosen:
            raise dnf.exceptions.Error("no repository matches --repo %s" % ",".join(patterns))
        return chosen

    def _repo_facts(self, plugin, only=None):
        from alma_countme.statusfacts import RepoFacts

        facts = []
        for repo in sorted(self.base.repos.values(), key=lambda repo: repo.id):
            if only is not None and repo.id not in only:
                continue
            countme, repo_priority, main_priority = plugin.configured.get(
                repo.id, (bool(repo.countme), dnf.conf.PRIO_RUNTIME, dnf.conf.PRIO_DEFAULT))
            facts.append(RepoFacts(
                repo.id, repo.name, bool(repo.enabled),
                repo._get_priority("enabled") >= dnf.conf.PRIO_COMMANDLINE,
                countme, _countme_from(repo_priority, main_priority), repo.repofile or None,
                repo.metalink or None, repo.mirrorlist or None, tuple(repo.baseurl),
            ))
        return facts

    def _status(self, plugin):
        import json

        from alma_countme import status, statustext
        from alma_countme.optout import do_not_track, read_state, state_path
        from alma_countme.statusfacts import Facts

        conf = self.base.conf
        root = conf.installroot
        state, problem = read_state(state_path(root), os.getuid())
        facts = Facts(
            now=int(time.time()), installroot=root, persistdir=conf.persistdir, uid=os.getuid(),
            do_not_track=do_not_track(os.environ), plugin_enabled=plugin.enabled_in_conf,
            plugin_conf_path=plugin.conf_path, settings=plugin.settings,
            settings_problems=plugin.settings_problems, libdnf_version=_libdnf_version(),
            user_agent=conf.user_agent, main_conf_path=conf.config_file_path,
            optout_path=state_path(root), optout_state=state, optout_problem=problem,
            repos=self._repo_facts(plugin, self._selected_ids(self.base.repos.keys())),
            substitute=self._substitute(),
        )
        report = status.build_report(facts)
        if self.opts.json:
            print(json.dumps(report, indent=2))
        else:
            print(statustext.render_text(report), end="")

    def _switch(self, plugin):
        import json

        from alma_countme import optcommands
        from alma_countme.optout import read_state, state_path

        root = self.base.conf.installroot
        substitute = self._substitute()
        if self.opts.subcommand == "opt-out":
            scope = self._selected_ids(self.base.repos.keys())
            outcome = optcommands.opt_out(
                root, self._repo_facts(plugin), scope, self.opts.repo_files, substitute)
        else:
            state, _ = read_state(state_path(root))
            known = set(self.base.repos.keys()) | set(state.repos) | set(edit.section for edit in state.edits)
            outcome = optcommands.opt_in(root, self._selected_ids(known), substitute)
        if self.opts.json:
            print(json.dumps({
                "action": self.opts.subcommand, "changed": outcome.changed, "state_path": outcome.path,
                "all": outcome.state.all, "repos": list(outcome.state.repos),
                "repo_file_edits": len(outcome.state.edits),
                "messages": outcome.messages, "errors": outcome.errors,
            }, indent=2))
        else:
            for message in outcome.messages:
                print(message)
        if outcome.errors:
            raise dnf.exceptions.Error("\n".join(outcome.errors))
