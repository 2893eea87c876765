"""A scenario written back out: TOML that :func:`~alma_countme.sim.config.scenario.load` reads to the
same values, and plain JSON data.
"""

import datetime
import json
import re

from alma_countme.sim.config.schema import SCHEMA

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def to_toml(scenario):
    """The scenario as TOML text, in schema order, that ``scenario.load`` reads back to the same values."""
    lines = ["# countme-sim effective scenario (defaults + scenario file + --set)", ""]
    _toml_table(scenario, SCHEMA, (), lines)
    return "\n".join(lines).rstrip("\n") + "\n"


def _toml_table(values, schema, path, lines):
    scalars = [key for key, spec in schema.items() if not isinstance(spec, dict)]
    tables = [key for key, spec in schema.items() if isinstance(spec, dict)]
    if scalars and path:
        lines.append("[%s]" % ".".join(_toml_key(p) for p in path))
    for key in scalars:
        lines.append("%s = %s" % (_toml_key(key), toml_value(values[key])))
    if scalars and path:
        lines.append("")
    for key in tables:
        _toml_table(values[key], schema[key], path + (key,), lines)


def _toml_key(key):
    return key if _BARE_KEY.match(key) else json.dumps(key)


def toml_value(value):
    """One value as TOML writes it (inline tables for dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[%s]" % ", ".join(toml_value(item) for item in value)
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict):
        return "{ %s }" % ", ".join("%s = %s" % (_toml_key(k), toml_value(v)) for k, v in value.items())
    raise TypeError("cannot write %r as TOML" % (value,))


def to_json(value):
    """The scenario as plain JSON data (dates as ISO strings)."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
