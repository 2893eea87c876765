"""What ``dnf countme status`` is built from: the facts only dnf knows, as the plugin hands them over.

Everything else the report needs it reads from files itself
(:mod:`alma_countme.status`).

Runs on Python 3.6: standard library only.
"""

import collections

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
