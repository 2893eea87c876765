"""Comparing a server's weekly countme totals with the simulator's truth.

Both sides are ``{TotalsKey: hits}`` (see :mod:`alma_countme.sim.logs.totals_file`).
They are compared at several levels, each a sum over the rows of one week:
``week`` (all countme hits; unique-address hits separately), ``bucket``
(``sys_age``), ``repo`` (``repo_tag``), ``version`` (OS name and version),
``arch`` (OS arch) and ``row`` (the full key). A cell differs beyond the
tolerance when ``|server - truth|`` exceeds it; the comparison fails when any
cell of a checked level does. Findings then name the likely cause: a bucket,
repo, version or arch the server lost altogether, a week it lacks, or a
general over- or under-count.
"""

import collections
import re

from alma_countme.model import BUCKET_LABELS
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs.tally import UNIQUE_AGE

LEVELS = ("week", "bucket", "repo", "version", "arch", "row")
COUNTME = "countme"
UNIQUE = "unique"
KIND_NAMES = {COUNTME: "countme hits", UNIQUE: "unique-address hits"}

Tolerance = collections.namedtuple("Tolerance", "absolute relative text")
Difference = collections.namedtuple("Difference", "level week kind value truth server beyond")


def parse_tolerance(text):
    """``N`` (hits per cell) or ``P%`` (of the truth's cell) -> Tolerance."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*", text or "")
    if not match:
        raise SimError("--tolerance: expected a number of hits (e.g. 5) or a percentage (e.g. 0.5%%), got %r"
                       % text)
    value = float(match.group(1))
    if match.group(2):
        return Tolerance(0.0, value / 100.0, "%g%% of each cell" % value)
    return Tolerance(value, 0.0, "exact" if value == 0 else "%g hits per cell" % value)


def parse_levels(text):
    """``--levels``' comma-separated list -> a tuple of LEVELS (in the order given, each once)."""
    levels = []
    for level in (text or "").split(","):
        level = level.strip()
        if level and level not in levels:
            levels.append(level)
    check_levels(levels)
    return tuple(levels)


def check_levels(levels):
    """Refuse an unknown level, or no level at all (nothing compared would pass vacuously)."""
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise SimError("--levels: unknown level %s (choose from %s)"
                       % (", ".join(unknown), ", ".join(LEVELS)))
    if not levels:
        raise SimError("--levels: no level given; name at least one of %s" % ", ".join(LEVELS))


def allowed(tolerance, truth):
    return max(tolerance.absolute, tolerance.relative * truth)


def bucket_name(sys_age):
    label = BUCKET_LABELS.get(sys_age)
    return "bucket %s (%s)" % (sys_age, label) if label else "bucket %s" % sys_age


def _version_name(key):
    if not key.os_name and not key.os_version:
        return "(no libdnf User-Agent)"
    return ("%s %s" % (key.os_name, key.os_version)).strip()


def _value(level, key):
    """The cell of ``key`` at ``level`` (a sortable, printable value)."""
    if level == "week":
        return ""
    if level == "bucket":
        return key.sys_age
    if level == "repo":
        return key.repo_tag or "(no repo)"
    if level == "version":
        return _version_name(key)
    if level == "arch":
        return key.os_arch or "(no arch)"
    return "%s %s %s %s age=%s %s %s" % (key.os_name or "-", key.os_version or "-", key.os_variant or "-",
                                         key.os_arch or "-", key.sys_age, key.repo_tag or "-",
                                         key.repo_arch or "-")


def value_name(level, value):
    if level == "bucket":
        return bucket_name(value)
    if level == "week":
        return "all"
    return str(value)


def _kind(key):
    return UNIQUE if key.sys_age == UNIQUE_AGE else COUNTME


def cells(rows, level):
    """``{(week_start, kind, value): hits}`` of ``rows`` summed at ``level``."""
    result = collections.Counter()
    for key, hits in rows.items():
        kind = _kind(key)
        if kind == UNIQUE and level == "bucket":
            continue  # unique-address rows have no bucket
        result[(key.week_start, kind, _value(level, key))] += hits
    return result


class Comparison:
    """The outcome of comparing ``server`` totals with ``truth`` totals."""

    def __init__(self, truth, server, tolerance, levels=LEVELS):
        self.truth = truth
        self.server = server
        self.tolerance = tolerance
        self.levels = tuple(levels)
        check_levels(self.levels)
        self.notes = []
        truth_rows, server_rows = truth.rows, server.rows
        if not any(_kind(key) == UNIQUE for key in truth_rows):
            dropped = sum(hits for key, hits in server_rows.items() if _kind(key) == UNIQUE)
            server_rows = {key: hits for key, hits in server_rows.items() if _kind(key) != UNIQUE}
            if dropped:
                self.notes.append("unique-address rows (sys_age -1) not compared: the truth has none")
        self.truth_rows, self.server_rows = truth_rows, server_rows
        self.differences = []
        for level in self.levels:
            self.differences.extend(self._compare(level))
        self.findings = self._diagnose()

    def _compare(self, level):
        truth_cells, server_cells = cells(self.truth_rows, level), cells(self.server_rows, level)
        for cell in sorted(set(truth_cells) | set(server_cells), key=_sort_key):
            want, got = truth_cells.get(cell, 0), server_cells.get(cell, 0)
            if want != got:
                week, kind, value = cell
                beyond = abs(got - want) > allowed(self.tolerance, want)
                yield Difference(level, week, kind, value, want, got, beyond)

    @property
    def failures(self):
        return [diff for diff in self.differences if diff.beyond]

    @property
    def ok(self):
        return not self.failures

    def summary(self, rows):
        weeks = sorted({key.week_start for key in rows})
        by_kind = collections.Counter()
        for key, hits in rows.items():
            by_kind[_kind(key)] += hits
        return {
            "weeks": len(weeks),
            "first_week": weeks[0] if weeks else None,
            "last_week": weeks[-1] if weeks else None,
            "rows": len(rows),
            "countme_hits": by_kind[COUNTME],
            "unique_hits": by_kind[UNIQUE],
        }

    def _diagnose(self):
        """Plain-language causes of the differences at the checked levels, most telling first.

        Only what the checked levels compare is diagnosed (a bucket, repo, version or arch only
        when its level is checked; unique-address rows not when bucket is the only level), so
        every finding stands for differences listed above it: no finding without a difference.
        """
        findings = []
        kinds = (COUNTME,) if set(self.levels) == {"bucket"} else (COUNTME, UNIQUE)
        truth_weeks = _weeks(self.truth_rows, kinds)
        server_weeks = _weeks(self.server_rows, kinds)
        for week in sorted(truth_weeks - server_weeks):
            findings.append("week %s is missing from the server's totals" % week)
        for week in sorted(server_weeks - truth_weeks):
            findings.append("week %s appears only in the server's totals (is the truth's week complete?)"
                            % week)
        for level in [level for level in ("bucket", "repo", "version", "arch") if level in self.levels]:
            truth_sum = _level_totals(self.truth_rows, level)
            server_sum = _level_totals(self.server_rows, level)
            name = "" if level == "bucket" else level  # value_name already says "bucket N"
            for value in sorted(set(truth_sum) | set(server_sum), key=str):
                want, got = truth_sum.get(value, 0), server_sum.get(value, 0)
                if want and not got:
                    findings.append("%s %s is missing from the server's totals: 0 of %s hits"
                                    % (name, value_name(level, value), _n(want)))
                elif got and not want:
                    findings.append("%s %s appears only in the server's totals (%s hits)"
                                    % (name, value_name(level, value), _n(got)))
        for kind in kinds:
            want = _hits(self.truth_rows, kind, server_weeks)
            got = _hits(self.server_rows, kind, truth_weeks)
            if got > want + allowed(self.tolerance, want):
                findings.append(
                    "over-counting: the server has %s more %s than the truth (%s, x%.3f) in the weeks both"
                    " hold; are retried or duplicated requests counted twice?"
                    % (_n(got - want), KIND_NAMES[kind], _pct(got - want, want), got / want if want else 0.0)
                )
            elif got < want - allowed(self.tolerance, want):
                findings.append("under-counting: the server has %s fewer %s than the truth (%s) in the weeks"
                                " both hold" % (_n(want - got), KIND_NAMES[kind], _pct(got - want, want)))
        return [" ".join(text.split()) for text in findings]

    def as_json(self, max_differences=None):
        failures = self.failures
        listed = self.differences if max_differences is None else self.differences[:max_differences]
        return {
            "ok": self.ok,
            "tolerance": self.tolerance.text,
            "levels": list(self.levels),
            "truth": dict(self.summary(self.truth.rows), path=self.truth.path, kind=self.truth.kind),
            "server": dict(self.summary(self.server.rows), path=self.server.path, kind=self.server.kind),
            "differences_beyond_tolerance": len(failures),
            "differences_by_level": _count_levels(failures),
            "differences_within_tolerance": len(self.differences) - len(failures),
            "findings": self.findings,
            "notes": self.notes,
            "differences": [
                {"level": d.level, "week": d.week, "kind": d.kind, "value": value_name(d.level, d.value),
                 "truth": d.truth, "server": d.server, "diff": d.server - d.truth,
                 "beyond_tolerance": d.beyond}
                for d in listed
            ],
        }

    def format_text(self, max_differences=20):
        lines = []
        for name, side in (("truth ", self.truth), ("server", self.server)):
            info = self.summary(side.rows)
            span = "%s .. %s" % (info["first_week"], info["last_week"]) if info["weeks"] else "no weeks"
            lines.append("%s %s (%s): %d weeks (%s), %s countme hits, %s unique-address hits"
                         % (name, side.path, side.kind, info["weeks"], span, _n(info["countme_hits"]),
                            _n(info["unique_hits"])))
        lines.append("tolerance: %s; levels: %s" % (self.tolerance.text, ", ".join(self.levels)))
        lines.extend("note: %s" % note for note in self.notes)
        failures = self.failures
        if failures:
            counts = ", ".join("%s %d" % item for item in _count_levels(failures).items())
            lines.append("differences beyond tolerance: %d (%s)" % (len(failures), counts))
            for diff in failures[:max_differences]:
                lines.append("  " + _format_difference(diff))
            if len(failures) > max_differences:
                lines.append("  ... and %d more (--max-differences, or --json for all)"
                             % (len(failures) - max_differences))
        within = len(self.differences) - len(failures)
        if within:
            lines.append("differences within tolerance: %d" % within)
        if self.findings:
            lines.append("findings:" if failures else "findings (each cell within the tolerance):")
            lines.extend("  - " + text for text in self.findings)
        if self.ok:
            lines.append("OK: the server's totals match the truth%s"
                         % ("" if not (self.differences or self.findings) else " within the tolerance"))
        else:
            lines.append("FAIL: %d differences beyond the tolerance" % len(failures))
        return "\n".join(lines)


def _weeks(rows, kinds):
    return {key.week_start for key, hits in rows.items() if hits and _kind(key) in kinds}


def _hits(rows, kind, weeks):
    return sum(hits for key, hits in rows.items() if _kind(key) == kind and key.week_start in weeks)


def _level_totals(rows, level):
    result = collections.Counter()
    for (_week, kind, value), hits in cells(rows, level).items():
        if kind == COUNTME:
            result[value] += hits
    return result


def _count_levels(differences):
    counts = collections.Counter(diff.level for diff in differences)
    return {level: counts[level] for level in LEVELS if counts[level]}


def _format_difference(diff):
    what = KIND_NAMES[diff.kind] if diff.level == "week" else "%s %s" % (
        diff.level if diff.level != "bucket" else "", value_name(diff.level, diff.value))
    if diff.level != "week" and diff.kind == UNIQUE:
        what += " [unique-address]"
    return "week %s  %-40s truth %10s  server %10s  (%+d, %s)" % (
        diff.week, " ".join(what.split()), _n(diff.truth), _n(diff.server), diff.server - diff.truth,
        _pct(diff.server - diff.truth, diff.truth))


def _sort_key(cell):
    week, kind, value = cell
    return (week, kind, str(value))


def _n(number):
    return "{:,}".format(number)


def _pct(diff, base):
    if not base:
        return "new"
    return "%+.1f%%" % (100.0 * diff / base)


def compare(truth, server, tolerance="0", levels=LEVELS):
    """Compare two :class:`~alma_countme.sim.logs.totals_file.Totals`; tolerance as the command takes it."""
    if isinstance(tolerance, str):
        tolerance = parse_tolerance(tolerance)
    levels = tuple(levels)
    check_levels(levels)
    return Comparison(truth, server, tolerance, levels)
