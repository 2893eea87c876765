"""Scenarios: the shipped default, a user's file over it, --set over both; checked key by key.

A scenario is TOML. The default ships as ``scenarios/default.toml``; a user's
file only names the keys it changes. Every key is described in
:data:`~alma_countme.sim.config.schema.SCHEMA` with its allowed values; a key
that is unknown or out of range is reported with the file (or ``--set``) it
came from and what is allowed.

This module is the entry: :func:`load` gives the effective scenario. The parts
live beside it, one job each: ``specs`` (the value types), ``schema`` (the
table of keys), ``merge`` (layering files and ``--set``), ``validate`` (the
checks) and ``dump`` (writing a scenario back as TOML or JSON).
"""

import os

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config.dump import toml_value
from alma_countme.sim.config.merge import assign, merge, override, read_toml
from alma_countme.sim.config.schema import SCHEMA
from alma_countme.sim.config.validate import check_consistency, validate

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
DEFAULT_PATH = os.path.join(SCENARIO_DIR, "default.toml")


def shipped():
    """``[(name, path, first line of its comment)]`` of the scenarios that ship with the simulator."""
    result = []
    for entry in sorted(os.listdir(SCENARIO_DIR)):
        if not entry.endswith(".toml"):
            continue
        path = os.path.join(SCENARIO_DIR, entry)
        with open(path, encoding="utf-8") as handle:
            first = handle.readline().lstrip("#").strip()
        result.append((entry[:-len(".toml")], path, first))
    return result


def resolve(path):
    """A scenario file's path: ``path`` itself, or the shipped scenario of that name (e.g. ``rollout``).

    Only a regular file is taken as the user's scenario: a directory of the
    same name (``rollout --out rollout/`` makes one) is not, and the shipped
    name wins. A name that is neither is refused with the shipped names, unless
    it looks like a file's path, which read_toml then names as unreadable.
    """
    if path is None or os.path.isfile(path):
        return path
    names = []
    for name, shipped_path, _ in shipped():
        if path in (name, name + ".toml"):
            return shipped_path
        names.append(name)
    if _looks_like_file(path) or os.path.exists(path):
        return path
    raise SimError("--scenario %s: no such file, nor a shipped scenario (shipped: %s; see "
                   "`countme-sim scenario --list`); give a TOML file's path or one of those names"
                   % (path, ", ".join(names)))


def _looks_like_file(path):
    """Whether ``path`` reads as a path to a file (``mine.toml``, ``conf/x``) rather than a bare name."""
    return path.endswith(".toml") or os.sep in path or (os.altsep is not None and os.altsep in path)


def load(path=None, assignments=(), overrides=()):
    """The effective scenario: the default, then the file at ``path`` (or the shipped scenario of that
    name), then ``--set`` assignments, then ``overrides``: ``(source, key, value)`` of the command's
    options that set a key (``("--servers 65", "output.servers", 65)``), checked as the key is."""
    path = resolve(path)
    sources = {}
    tree = {}
    default = read_toml(DEFAULT_PATH, "default scenario")
    merge(tree, default, (), "default scenario %s" % DEFAULT_PATH, sources)
    if path is not None:
        merge(tree, read_toml(path, "scenario"), (), "scenario %s" % path, sources)
    for text in assignments:
        assign(tree, text, sources)
    for source, key, value in overrides:
        override(tree, key, value, source, sources)
    scenario = validate(tree, SCHEMA, (), sources)
    check_consistency(scenario, sources)
    return scenario


def describe_keys():
    """``[(key, allowed, default, doc)]`` for every key, for ``countme-sim scenario --keys``."""
    defaults = load()
    rows = []

    def walk(schema, values, path):
        for key, spec in schema.items():
            if isinstance(spec, dict):
                walk(spec, values[key], path + (key,))
            else:
                rows.append((".".join(path + (key,)), spec.allowed(), toml_value(values[key]), spec.doc))

    walk(SCHEMA, defaults, ())
    return rows
