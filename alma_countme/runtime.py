"""What the plugin does on every dnf run, in dnf's ``config()`` hook.

Two steps, each kept cheap (a few stat()s and small reads, no rpm database
query with the default settings) and each returning its problems as
sentences for the plugin to log as warnings instead of raising:

1. :func:`choices`: which repos the system's opt-out or ``DO_NOT_TRACK``
   switch off for this run (the plugin then sets ``countme`` off at runtime,
   which wins over repo files and ``--setopt``);
2. :func:`write_install_epochs`: on libdnf older than 0.73.2, run as root,
   the install epoch goes into the cookie of every repo that will count.

Runs on Python 3.6: standard library only.
"""

import collections

from .cookie import cookie_path, is_countable
from .epochfix import FAILED, fix_cookie
from .installtime import install_time
from .libdnfversion import derives_epoch_itself
from .optout import do_not_track, is_opted_out, read_state, state_path
from .settings import SOURCE_NONE

RepoView = collections.namedtuple("RepoView", "id enabled countme metalink mirrorlist baseurls")
RepoView.__doc__ = """The few facts about a dnf repo that the hook needs."""

OPTED_OUT = "opted out"
DO_NOT_TRACK = "DO_NOT_TRACK"

EpochOutcome = collections.namedtuple("EpochOutcome", "skipped install fixes warnings")
EpochOutcome.__doc__ = """``skipped``: why nothing was done (None when it ran); ``install``:
the InstallTime used; ``fixes``: one epochfix.Fix per counted repo."""


def choices(repo_ids, root, environ):
    """``(off, warnings)``: repo id -> why countme is off for it in this run."""
    state, problem = read_state(state_path(root))
    warnings = [problem] if problem else []
    dnt = do_not_track(environ)
    off = collections.OrderedDict()
    for repo_id in repo_ids:
        if is_opted_out(state, repo_id):
            off[repo_id] = OPTED_OUT
        elif dnt:
            off[repo_id] = DO_NOT_TRACK
    return off, warnings


def counted_repos(repos):
    """The repos libdnf may add the flag for: enabled, countme on, with a mirrorlist or metalink."""
    return [repo for repo in repos
            if repo.enabled and repo.countme and is_countable(repo.metalink, repo.mirrorlist)]


def why_not_write_epochs(settings, libdnf_version, uid):
    """Why the epoch step does nothing in this run, or None when it should run."""
    if uid != 0:
        return "not root (libdnf only counts as root)"
    if derives_epoch_itself(libdnf_version):
        return "libdnf %s takes the epoch from /etc/machine-id itself" % libdnf_version
    if settings.epoch_source == SOURCE_NONE:
        return "epoch_source=none"
    return None


def write_install_epochs(repos, root, persistdir, settings, libdnf_version, uid, now):
    """Put the install epoch into the cookies of ``repos`` (already the counted ones)."""
    skipped = why_not_write_epochs(settings, libdnf_version, uid)
    if skipped or not repos:
        return EpochOutcome(skipped or "no repository counts in this run", None, [], [])
    install = install_time(settings.epoch_source, root, persistdir, now, may_write=True)
    if install.epoch is None:
        # As upstream does without a valid machine-id: libdnf picks the first counted week.
        # Only a clock problem deserves a warning; a missing file is normal in containers.
        warnings = [install.problem + "; the countme age is left to libdnf"] if install.in_future else []
        return EpochOutcome(install.problem, install, [], warnings)
    fixes = []
    for repo in repos:
        path = cookie_path(persistdir, repo.id, repo.metalink, repo.mirrorlist, list(repo.baseurls))
        fixes.append(fix_cookie(repo.id, path, install.epoch))
    warnings = [fix.problem + ("" if fix.action != FAILED else "; dnf goes on, libdnf counts this "
                               "repository by its own rule") for fix in fixes if fix.problem]
    return EpochOutcome(None, install, fixes, warnings)
