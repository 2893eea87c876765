"""Layering a scenario: TOML files and ``--set`` assignments merged into one tree under the schema.

The tree is the parsed TOML, merged key by key; ``sources`` maps each key path
(a tuple) to the file or ``--set`` that gave it its value, so that
:mod:`alma_countme.sim.config.validate` can name it when the value is wrong.
A key the schema does not know is refused here, naming the keys it allows.
"""

import sys

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config.schema import SCHEMA
from alma_countme.sim.config.specs import PerMajor

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib


def key_name(path):
    """A key path as the messages write it: ``classes.desktop.share``."""
    return ".".join(path)


def spec_at(path, source):
    """The Spec (or table dict) at ``path``; SimError naming the allowed keys when there is none.

    One level below a PerMajor spec, the spec of its items is returned.
    """
    node = SCHEMA
    for depth, part in enumerate(path):
        if isinstance(node, PerMajor) and depth == len(path) - 1 and part in node.majors:
            return node.value_spec
        if not isinstance(node, dict) or part not in node:
            where = key_name(path[:depth]) or "the top level"
            if isinstance(node, dict):
                allowed = "allowed keys: %s" % ", ".join(node)
            elif isinstance(node, PerMajor):
                allowed = "allowed keys: %s" % ", ".join(node.majors)
            else:
                allowed = "%s takes a whole value: %s" % (where, node.allowed())
            raise SimError("%s: unknown key %r in %s; %s" % (source, key_name(path), where, allowed))
        node = node[part]
    return node


def merge(target, data, path, source, sources):
    """Merge ``data`` (parsed TOML) into ``target`` under the schema, recording each leaf's source."""
    node = spec_at(path, source) if path else SCHEMA
    if isinstance(node, dict):
        if not isinstance(data, dict):
            raise SimError("%s: %s must be a table with keys: %s"
                           % (source, key_name(path), ", ".join(node)))
        for key, value in data.items():
            child = spec_at(path + (key,), source)
            if isinstance(child, dict) or not child.atomic:
                merge(target.setdefault(key, {}), value, path + (key,), source, sources)
            else:
                target[key] = value
                sources[path + (key,)] = source
        return
    # A non-atomic spec (PerMajor): merge item by item.
    if not isinstance(data, dict):
        target.clear()
        target["__value__"] = data
        sources[path] = source
        return
    target.pop("__value__", None)
    for key, value in data.items():
        target[key] = value
        sources[path + (key,)] = source
    sources.setdefault(path, source)


def read_toml(path, label):
    """The parsed TOML file at ``path``; SimError naming it (as ``label``) when it is unreadable or bad."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise SimError("cannot read %s %s: %s" % (label, path, error.strerror or error)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SimError(_not_utf8(path, label, data, error)) from None
    # Some editors (Windows Notepad) start UTF-8 files with a byte-order mark; TOML has no use for it.
    text = text[1:] if text.startswith("\ufeff") else text
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SimError("%s %s is not valid TOML: %s" % (label, path, error)) from None


def _not_utf8(path, label, data, error):
    """The message for a file that is not UTF-8 (TOML must be): where, so the user finds the byte."""
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    return ("%s %s is not UTF-8 text, as TOML must be: byte 0x%02x at line %d, column %d (byte offset %d) "
            "is not valid UTF-8; save the file as UTF-8"
            % (label, path, data[error.start], line, column, error.start))


def parse_assignment(text):
    """``key.path=value`` of --set: (path tuple, value); the value is TOML, else a plain string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SimError("--set %s: expected KEY=VALUE, e.g. --set population.size=10000" % text)
    try:
        value = tomllib.loads("value = " + raw.strip())["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return tuple(part.strip().strip('"') for part in key.split(".")), value


def assign(tree, text, sources):
    """Apply one ``--set KEY=VALUE`` to ``tree``: it names a key, not a table; a per-major key's table
    is merged over the one before, as a file's is."""
    key, value = parse_assignment(text)
    source = "--set %s" % text
    node = spec_at(key, source)
    if isinstance(node, dict):
        raise SimError("%s: %s is a table; set one of its keys: %s"
                       % (source, ".".join(key), ", ".join(node)))
    parent = tree
    for part in key[:-1]:
        parent = parent.setdefault(part, {})
    if node.atomic:
        parent.pop("__value__", None)
        parent[key[-1]] = value
        sources[key] = source
    else:
        # A per-major table: as in a file, the majors it names change, the others keep their values.
        merge(parent.setdefault(key[-1], {}), value, key, source, sources)


def override(tree, key, value, source, sources):
    """Set the key named ``key`` (``output.servers``) from a command-line option, which wins over
    the files and --set; ``source`` (``--servers 65``) is what the checks then name."""
    path = tuple(key.split("."))
    node = spec_at(path, source)
    if isinstance(node, dict) or not node.atomic:
        raise ValueError("%s is not a key that takes a whole value" % key)  # a programming error
    parent = tree
    for part in path[:-1]:
        parent = parent.setdefault(part, {})
    parent[path[-1]] = value
    sources[path] = source
