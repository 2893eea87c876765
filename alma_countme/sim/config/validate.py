"""Checking a merged scenario: every key present and allowed, then the rules that span keys.

An error names the file (or ``--set``) the offending value came from, the key,
and what is allowed; the sources are those :mod:`alma_countme.sim.config.merge`
recorded.
"""

import datetime

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
    _check_run_end(scenario, sources)
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
    weeks = scenario["run"]["weeks"]
    for week in scenario["rollout"]["plugin_share_by_week"]:
        if int(week) >= weeks:
            raise SimError("%s: key rollout.plugin_share_by_week: week %s is after the run's %d weeks "
                           "(0 = first); give run.weeks=%d or more, or drop week %s"
                           % (source_of(("rollout", "plugin_share_by_week"), sources), week, weeks,
                              int(week) + 1, week))


def _check_run_end(scenario, sources):
    """The run's last week must end by 9999-12-31, the last date Python's dates (and the logs) hold."""
    start, weeks = scenario["run"]["start"], scenario["run"]["weeks"]
    last_day = start.toordinal() + 7 * weeks - 1
    if last_day <= datetime.date.max.toordinal():
        return
    origins = list(dict.fromkeys(source_of(("run", key), sources) for key in ("start", "weeks")))
    # The last Monday whose week (to Sunday) ends by then: 9999-12-20.
    last_monday = datetime.date.max.toordinal() - (datetime.date.max.weekday() + 1) % 7 - 6
    fits = (last_monday - start.toordinal()) // 7 + 1
    latest = datetime.date.fromordinal(last_monday - 7 * (weeks - 1))
    raise SimError("%s: keys run.start and run.weeks: %d weeks from %s end after %s, the last date "
                   "the simulator can write; allowed: run.start %s or earlier for run.weeks=%d%s"
                   % ("; ".join(origins), weeks, start, datetime.date.max, latest, weeks,
                      ", or run.weeks=%d or fewer" % fits if fits >= 1 else ""))
