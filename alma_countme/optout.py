"""The system's choice not to be counted: the opt-out state file and DO_NOT_TRACK.

The state file is ``/etc/dnf/countme-optout`` (inside ``--installroot``). No
package owns it, so it survives upgrades and reinstalls of the release package
and of the plugin package, and ``rpm -e`` leaves it in place; it sits in /etc
with the rest of the system's configuration (and its backups). The plugin reads
it on every dnf run and turns countme off at runtime for the repos it names.

It is JSON written by ``dnf countme opt-out``. An empty file (``touch``) means
every repository. A file the plugin cannot read or understand also counts as
opted out of every repository: it only exists because someone opted out, so
the safe reading of a damaged one is "do not count".

Runs on Python 3.6: standard library only.
"""

import collections
import errno
import json
import os

from .atomicfile import replace_file
from .repofiles import edit_from_dict, edit_to_dict

STATE_PATH = "/etc/dnf/countme-optout"
STATE_FORMAT = "alma-countme-optout"
STATE_VERSION = 1
_NOTE = (
    "Written by 'dnf countme opt-out'; 'dnf countme opt-in' removes it. "
    "An empty file opts this system out of countme for every repository."
)

OptOut = collections.namedtuple("OptOut", "all repos edits")
OptOut.__doc__ = """``all``: every repository; ``repos``: ids opted out one by one (sorted
tuple); ``edits``: the repofiles.Edit list that ``--repo-files`` made, so opt-in
can undo exactly that."""

NOT_OPTED_OUT = OptOut(False, (), ())
EVERYTHING = OptOut(True, (), ())

# Values of DO_NOT_TRACK that do not ask for anything (https://consoledonottrack.com says "1").
_DNT_OFF = ("", "0", "false", "no", "off")


class StateError(ValueError):
    """The state file exists but does not hold a state this module wrote."""


def state_path(root):
    """The state file inside installroot ``root``."""
    return os.path.join(root or "/", STATE_PATH.lstrip("/"))


def do_not_track(environ):
    """True when ``DO_NOT_TRACK`` in ``environ`` asks not to be tracked."""
    value = environ.get("DO_NOT_TRACK")
    return value is not None and value.strip().lower() not in _DNT_OFF


def is_opted_out(state, repo_id):
    return state.all or repo_id in state.repos


def is_empty(state):
    """True when ``state`` opts nothing out and records no edit (its file can go)."""
    return not state.all and not state.repos and not state.edits


def _json_reason(exc):
    """json's complaint without its nested parentheses: ``not JSON (Expecting value at line 1, column 1)``."""
    if hasattr(exc, "lineno"):
        return "not JSON (%s at line %d, column %d)" % (exc.msg, exc.lineno, exc.colno)
    return "not JSON"


def parse_state(text):
    """The OptOut in ``text``; raises StateError for anything this module did not write."""
    if not text.strip():
        return EVERYTHING
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateError(_json_reason(exc)) from None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise StateError("no \"format\": \"%s\" object" % STATE_FORMAT)
    if data.get("version") != STATE_VERSION:
        raise StateError("version %r, this plugin reads version %d" % (data.get("version"), STATE_VERSION))
    everything, repos, edits = data.get("all"), data.get("repos", []), data.get("repo_file_edits", [])
    if not isinstance(everything, bool):
        raise StateError("\"all\" is not true or false")
    if not isinstance(repos, list) or not all(isinstance(repo, str) for repo in repos):
        raise StateError("\"repos\" is not a list of repository ids")
    if not isinstance(edits, list):
        raise StateError("\"repo_file_edits\" is not a list")
    try:
        parsed_edits = tuple(edit_from_dict(edit) for edit in edits)
    except (TypeError, ValueError, KeyError) as exc:
        raise StateError("a repo file edit is damaged (%s)" % exc) from None
    return OptOut(everything, tuple(sorted(set(repos))), parsed_edits)


def format_state(state):
    data = collections.OrderedDict([
        ("format", STATE_FORMAT),
        ("version", STATE_VERSION),
        ("note", _NOTE),
        ("all", bool(state.all)),
        ("repos", sorted(set(state.repos))),
        ("repo_file_edits", [edit_to_dict(edit) for edit in state.edits]),
    ])
    return json.dumps(data, indent=2) + "\n"


def inspect_state(path):
    """``(state, damage)`` for the state file at ``path``: one open() when there is none.

    ``damage`` is None for a good file (or none), else a short reason why it
    cannot be used (``Is a directory``, ``not JSON (Expecting value at line 1, column 1)``);
    such a file gives :data:`EVERYTHING`.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return NOT_OPTED_OUT, None
        return EVERYTHING, exc.strerror or str(exc)
    try:
        return parse_state(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return EVERYTHING, "not UTF-8 text"
    except StateError as exc:
        return EVERYTHING, str(exc)


def damage_sentence(path, damage):
    """The one warning for an unusable state file: what is wrong, what it means, how to fix it."""
    if os.path.exists(path) and not os.path.isfile(path):
        until = "it is moved out of the way (dnf countme did not write it and leaves it alone)"
    else:
        until = "'dnf countme opt-in' removes the file"
    return ("the countme opt-out file %s is damaged or unreadable: %s. This system counts as opted out of "
            "every repository until %s" % (path, damage, until))


def read_state(path, uid=0):
    """``(state, problem)``: :func:`inspect_state` with the damage as a full sentence.

    ``uid`` is who reads: a file that another user may not read is not damaged (root runs of dnf
    read it), so status run by that user says so rather than calling it damaged.
    """
    state, damage = inspect_state(path)
    if damage and uid != 0 and os.path.isfile(path) and not os.access(path, os.R_OK):
        return state, ("the countme opt-out file %s cannot be read by uid %d (%s); dnf runs as root read it, "
                       "and 'sudo dnf countme' shows what it holds. This report takes every repository as "
                       "opted out" % (path, uid, damage))
    return state, (damage_sentence(path, damage) if damage else None)


def write_state(path, state):
    """Write ``state`` atomically; a new file is world-readable so that status works without root."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    replace_file(path, format_state(state).encode("utf-8"))


def remove_state(path):
    """Remove the state file; True when there was one."""
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise
    return True


def with_opt_out(state, repos=None):
    """``state`` plus an opt-out of every repository (``repos`` None) or of ``repos``."""
    if repos is None:
        return OptOut(True, (), state.edits)
    return OptOut(state.all, tuple(sorted(set(state.repos) | set(repos))), state.edits)


def with_opt_in(state, repos=None):
    """``state`` minus the opt-out of everything (``repos`` None) or of ``repos``.

    Opting one repository back in leaves a whole-system opt-out in force.
    """
    if repos is None:
        return OptOut(False, (), state.edits)
    return OptOut(state.all, tuple(sorted(set(state.repos) - set(repos))), state.edits)
