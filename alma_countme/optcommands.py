"""``dnf countme opt-out`` and ``opt-in``: the state file first, then the repo files.

The state file is written before any repo file is touched, so that a crash
never leaves an edit without its record (a record without its edit is
harmless: opt-in reports the line as not found). Both commands are
idempotent and say exactly what they changed.

Runs on Python 3.6: standard library only.
"""

import collections

from .atomicfile import replace_file
from .optout import (
    EVERYTHING,
    NOT_OPTED_OUT,
    OptOut,
    inspect_state,
    is_empty,
    remove_state,
    state_path,
    with_opt_in,
    with_opt_out,
    write_state,
)
from .repofiles import INSERTED, identity, move_edits, plan_opt_out, plan_undo, read_bytes
from .statusfacts import FROM_MAIN_CONFIG

Outcome = collections.namedtuple("Outcome", "changed messages errors state path")
Outcome.__doc__ = """``changed``: anything written; ``messages``: one sentence per change
(or why nothing changed); ``errors``: what could not be done; ``state``: the
OptOut now in force; ``path``: the state file."""


def _line_text(raw):
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def _describe_edit(edit):
    if edit.kind == INSERTED:
        return "Added %s at %s:%d [%s]." % (_line_text(edit.after), edit.path, edit.line, edit.section)
    return "Set %s at %s:%d [%s] (was: %s)." % (
        _line_text(edit.after), edit.path, edit.line, edit.section, _line_text(edit.before))


def _describe_undo(edit):
    if edit.kind == INSERTED:
        return "Removed the %s line opt-out added to %s [%s]." % (
            _line_text(edit.after), edit.path, edit.section)
    return "Restored %s:%d [%s] to: %s." % (edit.path, edit.line, edit.section, _line_text(edit.before))


def _state_messages(before, after, scope, path):
    if scope is None:
        if before.all:
            return ["Already opted out of countme for every repository; state unchanged (%s)." % path]
        return ["Opted this system out of countme for every repository (recorded in %s)." % path]
    if before.all:
        return ["Already opted out of countme for every repository, %s included; state unchanged (%s)."
                % (", ".join(scope), path)]
    new = [repo for repo in scope if repo not in before.repos]
    old = [repo for repo in scope if repo in before.repos]
    messages = []
    if new:
        messages.append("Opted out of countme for %s (recorded in %s)." % (", ".join(new), path))
    if old:
        messages.append("Already opted out of countme for %s." % ", ".join(old))
    return messages


def _plan_files(repos, scope, substitute):
    """``{path: (sections, insert_into)}`` for the repo files opt-out edits."""
    plans = collections.OrderedDict()
    for repo in repos:
        if not repo.repofile or (scope is not None and repo.id not in scope):
            continue
        sections, insert_into = plans.setdefault(repo.repofile, (set(), set()))
        sections.add(repo.id)
        if repo.countme and repo.countme_from == FROM_MAIN_CONFIG:
            insert_into.add(repo.id)
    return plans


def _cannot_write(path, exc, doing):
    return ("Cannot %s the opt-out file %s: %s. The opt-out state is as it was. If that path holds "
            "something dnf countme did not write (a directory, say), the system counts as opted out of "
            "every repository until you move it out of the way and run the command again."
            % (doing, path, exc.strerror or exc))


def _kept_everything(path, damage, scope):
    """What opt-out says when it found a state file it cannot use: the opt-out of everything stays."""
    if scope is None:
        return ["The opt-out file %s was damaged or unreadable: %s. Rewrote it: this system is opted out "
                "of countme for every repository." % (path, damage)]
    return ["The opt-out file %s was damaged or unreadable: %s. That means opted out of every repository; "
            "kept that, so %s and every other repository stay opted out, and rewrote the file to say so. "
            "To opt out of %s alone, start over: 'dnf countme opt-in', then 'dnf countme opt-out --repo %s'."
            % (path, damage, ", ".join(scope), ", ".join(scope), ",".join(scope))]


def opt_out(root, repos, scope=None, repo_files=False, substitute=identity):
    """Opt out every repository (``scope`` None) or the ids in ``scope``.

    ``repos`` are statusfacts.RepoFacts (for ``repo_files``: which file and line).
    A state file that cannot be used already means "every repository": it is
    never narrowed to ``scope``, only rewritten as a valid opt-out of everything.
    """
    path = state_path(root)
    before, damage = inspect_state(path)
    messages, errors = [], []
    if damage:
        state = EVERYTHING
        messages.extend(_kept_everything(path, damage, scope))
    else:
        state = with_opt_out(before, scope)
        messages.extend(_state_messages(before, state, scope, path))
    changed = state != before or bool(damage)
    if changed:
        try:
            write_state(path, state)
        except (IOError, OSError) as exc:
            return Outcome(False, [], [_cannot_write(path, exc, "write")], before, path)
    if repo_files:
        file_changed, state = _edit_files(path, state, repos, scope, substitute, messages, errors)
        changed = changed or file_changed
    return Outcome(changed, messages, errors, state, path)


def _edit_files(path, state, repos, scope, substitute, messages, errors):
    changed = False
    edited = False
    for repofile, (sections, insert_into) in _plan_files(repos, scope, substitute).items():
        try:
            data = read_bytes(repofile)
        except (IOError, OSError) as exc:
            errors.append("Cannot read %s: %s; left it as it is." % (repofile, exc.strerror or exc))
            continue
        new_data, new_edits, moved = plan_opt_out(data, repofile, sections, insert_into, substitute)
        if not new_edits:
            continue
        moved_edits = tuple(move_edits(state.edits, repofile, moved))
        candidate = OptOut(state.all, state.repos, moved_edits + tuple(new_edits))
        write_state(path, candidate)  # the record first: an edit must never go unrecorded
        try:
            replace_file(repofile, new_data)
        except (IOError, OSError) as exc:
            errors.append("Cannot write %s: %s; left it as it is." % (repofile, exc.strerror or exc))
            write_state(path, state)
            continue
        state = candidate
        changed = edited = True
        messages.extend(_describe_edit(edit) for edit in new_edits)
    if not edited:
        messages.append("No repo file line sets countme on for %s; repo files unchanged."
                        % ("any repository" if scope is None else ", ".join(scope)))
    return changed, state


def opt_in(root, scope=None, substitute=identity):
    """Undo opt-out for every repository (``scope`` None) or the ids in ``scope``."""
    path = state_path(root)
    before, damage = inspect_state(path)
    messages, errors = [], []
    if damage:
        try:
            remove_state(path)
        except (IOError, OSError) as exc:
            return Outcome(False, [], [_cannot_write(path, exc, "remove")], before, path)
        messages.append("Removed the opt-out file %s, which was damaged or unreadable: %s. Any record it "
                        "held of countme=0 lines written by 'opt-out --repo-files' is gone: 'dnf countme "
                        "status' shows the repo file lines that still set countme." % (path, damage))
        return Outcome(True, messages, errors, NOT_OPTED_OUT, path)
    if before == NOT_OPTED_OUT:
        messages.append("Not opted out of countme; nothing changed.")
        return Outcome(False, messages, errors, before, path)
    state = with_opt_in(before, scope)
    if scope is None:
        messages.append("Opted this system back into countme for every repository.")
    else:
        if before.all:
            errors.append("Every repository stays opted out, %s included: the whole system is opted out. "
                          "Run 'dnf countme opt-in' without --repo to opt back in." % ", ".join(scope))
        back = [repo for repo in scope if repo in before.repos]
        if back:
            messages.append("Opted back into countme for %s." % ", ".join(back))
        rest = [repo for repo in scope if repo not in before.repos and not before.all]
        if rest:
            messages.append("Not opted out: %s." % ", ".join(rest))
    selected = (lambda edit: True) if scope is None else (lambda edit: edit.section in scope)
    remaining = _undo_files(before.edits, selected, substitute, messages, errors)
    state = OptOut(state.all, state.repos, tuple(remaining))
    try:
        if is_empty(state):
            remove_state(path)
            messages.append("Removed %s." % path)
        elif state != before:
            write_state(path, state)
    except (IOError, OSError) as exc:
        errors.append(_cannot_write(path, exc, "update"))
    return Outcome(state != before, messages, errors, state, path)


def _undo_files(edits, selected, substitute, messages, errors):
    """Undo the selected edits file by file; returns the edits that remain recorded."""
    by_file = collections.OrderedDict()
    for edit in edits:
        by_file.setdefault(edit.path, []).append(edit)
    remaining = []
    for repofile, file_edits in by_file.items():
        if not any(selected(edit) for edit in file_edits):
            remaining.extend(file_edits)
            continue
        try:
            data = read_bytes(repofile)
        except (IOError, OSError) as exc:
            errors.append("Cannot read %s: %s; its opt-out edits stay recorded."
                          % (repofile, exc.strerror or exc))
            remaining.extend(file_edits)
            continue
        new_data, undone, failed, kept = plan_undo(data, file_edits, selected, substitute)
        if undone:
            try:
                replace_file(repofile, new_data)
            except (IOError, OSError) as exc:
                errors.append("Cannot write %s: %s; its opt-out edits stay recorded."
                              % (repofile, exc.strerror or exc))
                remaining.extend(file_edits)
                continue
        messages.extend(_describe_undo(edit) for edit in undone)
        for edit, reason in failed:
            if edit.kind == INSERTED:
                errors.append("Not removed: %s." % reason)
            else:
                errors.append("Not restored: %s. Before opt-out the line read: %s"
                              % (reason, _line_text(edit.before)))
        remaining.extend(kept)
        remaining.extend(edit for edit, _ in failed)
    return remaining
