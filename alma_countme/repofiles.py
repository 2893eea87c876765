"""countme lines in .repo files: where they are, setting them to 0 and undoing exactly that.

Files are handled as bytes split on ``\\n`` only, so every byte the plugin
does not mean to change (comments, blank lines, ``\\r``, odd encodings, a
missing final newline) is written back as it was. Writes are atomic and keep
the file's mode, owner and SELinux label. Each change is recorded as an
:class:`Edit` holding the line's text before and after, which is what lets
``dnf countme opt-in`` restore the file byte for byte.

Runs on Python 3.6: standard library only.
"""

import collections

COUNTME = "countme"
TRUE_VALUES = ("1", "yes", "true", "on")
FALSE_VALUES = ("0", "no", "false", "off")
OFF_VALUE = b"0"
# The extended attributes an atomic rewrite carries over from the old file.

OptionLine = collections.namedtuple("OptionLine", "path line section value commented text")
OptionLine.__doc__ = """One ``option=value`` line of a section: ``line`` is 1-based,
``value`` the stripped value (str), ``commented`` True for ``#option=value``."""

Edit = collections.namedtuple("Edit", "path section line kind before after")
Edit.__doc__ = """One change opt-out made: ``kind`` is ``changed`` (a countme value set
to 0) or ``inserted`` (a ``countme=0`` line added under the section header);
``line`` is where that line is now (1-based); ``before``/``after`` are the
line's bytes (``before`` is empty for an insertion)."""

CHANGED = "changed"
INSERTED = "inserted"


def identity(text):
    return text


def parse_bool(value):
    """True/False as libdnf reads a boolean option value, None when it is neither."""
    lowered = value.strip().lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    return None


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def split_lines(data):
    """``data`` as lines that keep their ``\\n``; joining them gives ``data`` back."""
    lines = data.split(b"\n")
    result = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def _decode(raw):
    return raw.decode("utf-8", "surrogateescape")


def _encode(text):
    return text.encode("utf-8", "surrogateescape")


def _section_name(line):
    """The name in a ``[name]`` header line, else None."""
    stripped = line.strip()
    if not stripped.startswith(b"[") or b"]" not in stripped:
        return None
    return _decode(stripped[1:stripped.index(b"]")].strip())


def _key_value(line):
    """``(key, value_start, value_end)`` of an ``key = value`` line (offsets into ``line``), else None.

    Lines starting with white space continue the previous value and have no key.
    """
    if not line[:1].strip() or line[:1] in (b"#", b";", b"["):
        return None
    if b"=" not in line:
        return None
    key, _, _ = line.partition(b"=")
    start = len(key) + 1
    while start < len(line) and line[start:start + 1] in (b" ", b"\t"):
        start += 1
    end = len(line.rstrip(b" \t\r\n"))
    return _decode(key.strip()), start, max(start, end)


def _commented_key_value(line):
    """Like :func:`_key_value` for a commented-out ``#key=value`` line (offsets into ``line``)."""
    stripped = line.lstrip(b" \t")
    if stripped[:1] not in (b"#", b";"):
        return None
    body = stripped.lstrip(b"#; \t")
    found = _key_value(body)
    if found is None:
        return None
    key, start, end = found
    offset = len(line) - len(body)
    return key, start + offset, end + offset


def _section_of_each_line(lines, substitute):
    """The (substituted) section name each line belongs to (None before the first header)."""
    current = None
    names = []
    for line in lines:
        name = _section_name(line)
        if name is not None:
            current = substitute(name)
            names.append(None)  # the header itself holds no option
            continue
        names.append(current)
    return names


def option_lines(data, section, option=COUNTME, substitute=identity, path=None, commented=True):
    """Every ``option=`` line in the sections named ``section`` (after ``substitute``).

    With ``commented``, ``#option=value`` lines are included (marked). The last
    line that is not commented is the one libdnf uses.
    """
    lines = split_lines(data)
    found = []
    for index, (line, name) in enumerate(zip(lines, _section_of_each_line(lines, substitute))):
        if name != section:
            continue
        parsed = _key_value(line)
        is_comment = False
        if parsed is None and commented:
            parsed = _commented_key_value(line)
            is_comment = True
        if parsed is None or parsed[0] != option:
            continue
        _, start, end = parsed
        found.append(OptionLine(path, index + 1, section, _decode(line[start:end]), is_comment,
                                _decode(line.rstrip(b"\r\n"))))
    return found


def effective_line(option_line_list):
    """The line libdnf takes the value from (the last uncommented one), or None."""
    live = [line for line in option_line_list if not line.commented]
    return live[-1] if live else None


def _line_ending(line):
    return line[len(line.rstrip(b"\r\n")):] or b"\n"


def plan_opt_out(data, path, sections, insert_into=(), substitute=identity):
    """Set countme to 0 in ``sections`` of a file's ``data``.

    Every uncommented countme line whose value is true becomes ``0``. A section
    in ``insert_into`` that has no countme line at all (countme comes from
    dnf.conf's [main]) gets a ``countme=0`` line right under its header.
    Returns ``(new_data, edits, moved)``: ``moved`` maps each old line number
    to its new one, for edits recorded earlier in the same file.
    """
    lines = split_lines(data)
    names = _section_of_each_line(lines, substitute)
    has_countme = set(
        name for line, name in zip(lines, names) if name and (_key_value(line) or ("",))[0] == COUNTME
    )
    output, edits, moved = [], [], {}
    for index, (line, name) in enumerate(zip(lines, names)):
        parsed = _key_value(line) if name in sections else None
        if parsed and parsed[0] == COUNTME and parse_bool(_decode(line[parsed[1]:parsed[2]])):
            new_line = line[:parsed[1]] + OFF_VALUE + line[parsed[2]:]
            output.append(new_line)
            edits.append(Edit(path, name, len(output), CHANGED, line, new_line))
        else:
            output.append(line)
        moved[index + 1] = len(output)
        header = _section_name(line)
        if header is not None:
            section = substitute(header)
            if section in insert_into and section not in has_countme:
                inserted = b"countme=0" + _line_ending(line)
                if not line.endswith(b"\n"):
                    # A header on the last line without a newline: the new line goes after one,
                    # and itself ends without one, which tells undo to take that newline back.
                    output[-1] = line + b"\n"
                    inserted = b"countme=0"
                output.append(inserted)
                edits.append(Edit(path, section, len(output), INSERTED, b"", inserted))
    return b"".join(output), edits, moved


def move_edits(edits, path, moved):
    """``edits`` with the line numbers of those in ``path`` renumbered by ``moved``."""
    return [edit._replace(line=moved.get(edit.line, edit.line)) if edit.path == path else edit
            for edit in edits]


def plan_undo(data, edits, selected=None, substitute=identity):
    """Undo the ``selected`` ones (default: all) of ``edits``, all in one file holding ``data``.

    An edit is undone where its line still reads exactly as opt-out left it; if
    the line moved, a single identical line in the same section is used.
    Returns ``(new_data, undone, failed, kept)``: ``failed`` lists
    ``(edit, reason)``; ``failed`` and ``kept`` (the edits not selected) are
    renumbered for the new data.
    """
    selected = selected or (lambda edit: True)
    lines = split_lines(data)
    names = _section_of_each_line(lines, substitute)
    chosen = [edit for edit in edits if selected(edit)]
    found = [(edit, _find_edited_line(lines, names, edit)) for edit in chosen]
    undone, failed, deleted = [], [], []
    # Bottom up, so that removing an inserted line never moves a line still to be undone.
    for edit, index in sorted(found, key=lambda pair: -1 if pair[1] is None else pair[1], reverse=True):
        if index is None:
            failed.append(edit)
        elif edit.kind == INSERTED:
            del lines[index]
            if not edit.after.endswith(b"\n") and index > 0:
                lines[index - 1] = lines[index - 1][:-1]  # the newline opt-out added before it
            deleted.append(index)
            undone.append(edit._replace(line=index + 1))
        else:
            lines[index] = edit.before
            undone.append(edit._replace(line=index + 1))

    def renumbered(edit):
        return edit._replace(line=edit.line - sum(1 for index in deleted if index < edit.line - 1))

    # Line numbers in what the caller reports are those of the file as it is now, not as recorded.
    undone = [renumbered(edit) if edit.kind == CHANGED else edit for edit in undone]
    failed = [
        (renumbered(edit), "%s [%s]: no line reads %r as opt-out left it (it wrote line %d then)"
         % (edit.path, edit.section, _decode(edit.after).rstrip("\r\n"), edit.line))
        for edit in failed
    ]
    kept = [renumbered(edit) for edit in edits if not selected(edit)]
    return b"".join(lines), sorted(undone, key=lambda edit: edit.line), failed, kept


def _find_edited_line(lines, names, edit):
    index = edit.line - 1
    if 0 <= index < len(lines) and lines[index] == edit.after:
        return index
    matches = [i for i, (line, name) in enumerate(zip(lines, names))
               if line == edit.after and name == edit.section]
    return matches[0] if len(matches) == 1 else None


def edit_to_dict(edit):
    return collections.OrderedDict([
        ("path", edit.path), ("section", edit.section), ("line", edit.line), ("kind", edit.kind),
        ("before", _decode(edit.before)), ("after", _decode(edit.after)),
    ])


def edit_from_dict(data):
    """The Edit in ``data`` (from :func:`edit_to_dict`); raises ValueError/KeyError/TypeError."""
    kind = data["kind"]
    if kind not in (CHANGED, INSERTED):
        raise ValueError("unknown edit kind %r" % (kind,))
    line = data["line"]
    if not isinstance(line, int) or line < 1:
        raise ValueError("bad line number %r" % (line,))
    for key in ("path", "section", "before", "after"):
        if not isinstance(data[key], str):
            raise TypeError("%s is not a string" % key)
    return Edit(data["path"], data["section"], line, kind, _encode(data["before"]), _encode(data["after"]))
