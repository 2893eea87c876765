"""Checking a merged scenario: every key present and allowed, then the rules that span keys.

An error names the file (or ``--set``) the offending value came from, the key,
and what is allowed; the sources are those :mod:`alma_countme.sim.config.merge`
recorded.
"""

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config.merge import key_name
from alma_countme.sim.config.schema import CLASSES, MAX_VERSIONS
from alma_countme.sim.config.specs import SHARE_TOLERANCE


def source_of(path, sources):
    """The file or ``--set`` that gave ``path`` (or the table holding it) its value."""
    for depth in range(len(path), 0, -1):
        if path[:depth] in sources:
            return sources[path[:depth]]
    return "the scenario"


def validate(tree, node, path, sources):
    """The checked, normalised values of ``tree`` under the schema ``node``; SimError on the first bad key."""
    if isinstance(node, dict):
        result = {}
        for key, child in node.items():
            if key not in tree:
                raise SimError("%s: key %s is missing"
                               % (source_of(path, sources), key_name(path + (key,))))
            result[key] = validate(tree[key], child, path + (key,), sources)
        return result
    value = tree.get("__value__", tree) if isinstance(tree, dict) and not node.atomic else tree
    try:
        return node.check(value, key_name(path))
    except ValueError as error:
        if isinstance(value, dict) and not node.atomic:
            # Name the file that set the offending item, when one did.
            item = str(error).split('"')[1] if str(error).startswith('"') else None
            source = source_of(path, sources)
            if item:
                source = sources.get(path + (item,), source)
        else:
            source = source_of(path, sources)
        raise SimError("%s: key %s: %s; allowed: %s"
                       % (source, key_name(path), error, node.allowed())) from None


def check_consistency(scenario, sources):
    """Rules that span keys."""
    shares = {name: scenario["classes"][name]["share"] for name in CLASSES}
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        origins = sorted({source_of(("classes", name, "share"), sources) for name in CLASSES})
        raise SimError("%s: keys classes.<class>.share add up to %.6g, not 1 (%s)" % (
            "; ".join(origins), total, ", ".join("%s %s" % item for item in shares.items())))
    versions = set(scenario["versions"]["mix"]) | set(scenario["versions"]["releases"])
    if len(versions) > MAX_VERSIONS:
        raise SimError("%s: keys versions.mix and versions.releases name %d versions; allowed: at most %d"
                       % (source_of(("versions", "mix"), sources), len(versions), MAX_VERSIONS))
    for version, week in scenario["versions"]["releases"].items():
        if week >= scenario["run"]["weeks"]:
            raise SimError("%s: key versions.releases: %s comes out in week %d, after the run's %d weeks; "
                           "give run.weeks=%d or more, or an earlier week for %s"
                           % (source_of(("versions", "releases"), sources), version, week,
                              scenario["run"]["weeks"], week + 1, version))
