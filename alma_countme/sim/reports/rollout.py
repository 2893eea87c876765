"""The rollout question: per week and bucket, how far countme's estimate is from the truth, and from
which week on each bucket can be trusted; with and without the countme plugin.

Input is two summaries (summary.json) of the same scenario, one with the
plugin's rollout and one without. A bucket's gap is the difference between its
share of the countme estimate (countme hits on the reference repo) and its share
of the true active systems, in percentage points: shares, because opted-out
systems, systems that never send the flag and CI containers make the total
estimate smaller than the truth however right the buckets are. A bucket is
trusted from the first week after which its gap stays within the tolerance to
the end of the run.
"""

import json
import os

from alma_countme.model import BUCKET_LABELS
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.generation import truth

BUCKETS = truth.BUCKETS
RUNS = ("with_plugin", "without_plugin")
RUN_LABELS = {"with_plugin": "with the plugin", "without_plugin": "without the plugin"}
SCHEMA = 1


def _share(part, whole):
    return 100.0 * part / whole if whole else 0.0


def gaps(summary):
    """Per week: the week's start and, per bucket, truth, estimate, their shares and the gap."""
    result = []
    for week in summary["weeks"]:
        true_total = sum(week["true_age_buckets"].values())
        estimate_total = sum(week["countme_estimate_by_bucket"].values())
        buckets = {}
        for bucket in BUCKETS:
            true_count = week["true_age_buckets"][bucket]
            estimate = week["countme_estimate_by_bucket"][bucket]
            true_share = _share(true_count, true_total)
            estimate_share = _share(estimate, estimate_total)
            buckets[bucket] = {
                "truth": true_count,
                "estimate": estimate,
                "truth_share": round(true_share, 3),
                "estimate_share": round(estimate_share, 3),
                "gap_points": round(estimate_share - true_share, 3),
            }
        result.append({"week_start": week["week_start"], "buckets": buckets})
    return result


def trusted_from(weeks, bucket, tolerance):
    """Index of the first week from which ``bucket``'s gap stays within ``tolerance``; None: never."""
    first = None
    for index, week in enumerate(weeks):
        if abs(week["buckets"][bucket]["gap_points"]) <= tolerance:
            if first is None:
                first = index
        else:
            first = None
    return first


def _scenario_of(summary, path):
    """The run's effective scenario: summary.json's copy, else the scenario.toml beside it, else {}."""
    if isinstance(summary.get("scenario"), dict):
        return summary["scenario"]
    directory = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    from alma_countme.sim.config.merge import tomllib

    try:
        with open(os.path.join(directory, "scenario.toml"), "rb") as handle:
            return tomllib.load(handle)
    except (OSError, ValueError):  # none, or not readable: the weeks still say start and length
        return {}


def shape(summary, path):
    """What two runs must share for their weeks to line up by number: start, weeks, population size."""
    scenario = _scenario_of(summary, path)
    run = scenario.get("run") if isinstance(scenario.get("run"), dict) else {}
    population = scenario.get("population") if isinstance(scenario.get("population"), dict) else {}
    weeks = summary["weeks"]
    start = run.get("start") or (weeks[0].get("week_start") if weeks else None)
    return {"start": None if start is None else str(start), "weeks": len(weeks),
            "population size": population.get("size")}


def load_runs(with_path, without_path):
    """``{"with_plugin": summary, "without_plugin": summary}`` of two generated runs; SimError, naming
    --from-runs, unless they start on the same day and have as many weeks and systems."""
    summaries = {"with_plugin": truth.load_summary(with_path),
                 "without_plugin": truth.load_summary(without_path)}
    shapes = [shape(summaries["with_plugin"], with_path), shape(summaries["without_plugin"], without_path)]
    differ = ["%s %s and %s" % (name, shapes[0][name], shapes[1][name]) for name in shapes[0]
              if None not in (shapes[0][name], shapes[1][name]) and shapes[0][name] != shapes[1][name]]
    if differ:
        raise SimError("--from-runs %s %s: the runs differ in %s; their weeks are compared by number, so "
                       "give two runs of one scenario (the same run.start, run.weeks and population.size)"
                       % (with_path, without_path, ", ".join(differ)))
    return summaries


def analyse(summaries, tolerance):
    """The rollout report of ``{"with_plugin": summary, "without_plugin": summary}``."""
    report = {"schema": SCHEMA, "tolerance_points": tolerance, "runs": {}}
    for name in RUNS:
        weeks = gaps(summaries[name])
        trusted = {}
        for bucket in BUCKETS:
            index = trusted_from(weeks, bucket, tolerance)
            trusted[bucket] = None if index is None else {"week": index,
                                                          "week_start": weeks[index]["week_start"]}
        plugin_share = [_plugin_share(week) for week in summaries[name]["weeks"]]
        report["runs"][name] = {"weeks": weeks, "trusted_from": trusted, "plugin_share": plugin_share}
    return report


def _plugin_share(week):
    """Share (percent) of the week's active systems that run the plugin."""
    behaviours = week.get("active_by_behaviour", {})
    return round(_share(behaviours.get("plugin", 0), sum(behaviours.values())), 2)


def report_json(report):
    return json.dumps(report, indent=1) + "\n"


def table(report):
    """The report as text: when each bucket can be trusted, then the gap week by week."""
    tolerance = report["tolerance_points"]
    lines = ["countme rollout: from which week each bucket's share of the countme estimate stays within "
             "%s percentage points of the truth" % _number(tolerance), ""]
    header = "%-30s  %s" % ("bucket", "  ".join("%-24s" % RUN_LABELS[name] for name in RUNS))
    lines.append(header.rstrip())
    for bucket in BUCKETS:
        cells = []
        for name in RUNS:
            trusted = report["runs"][name]["trusted_from"][bucket]
            cells.append("%-24s" % ("never in the run" if trusted is None else
                                    "week %d (%s)" % (trusted["week"], trusted["week_start"])))
        label = "%s: %s" % (bucket, BUCKET_LABELS[int(bucket)])
        lines.append(("%-30s  %s" % (label, "  ".join(cells))).rstrip())
    lines += ["", "gap per week: the bucket's share of the estimate minus its share of the truth, points"
              " (with / without the plugin); plugin: share of active systems running it", ""]
    weeks_with = report["runs"]["with_plugin"]["weeks"]
    weeks_without = report["runs"]["without_plugin"]["weeks"]
    plugin = report["runs"]["with_plugin"]["plugin_share"]
    lines.append("week  Monday      plugin   " + "".join("bucket %s          " % b for b in BUCKETS).rstrip())
    for index, (with_week, without_week) in enumerate(zip(weeks_with, weeks_without)):
        cells = []
        for bucket in BUCKETS:
            cells.append("%7s / %-7s" % (_signed(with_week["buckets"][bucket]["gap_points"]),
                                         _signed(without_week["buckets"][bucket]["gap_points"])))
        lines.append(("%4d  %s  %5.1f%%   %s" % (index, with_week["week_start"], plugin[index],
                                                "  ".join(cells))).rstrip())
    return "\n".join(lines) + "\n"


def _signed(value):
    return "%+.1f" % value


def _number(value):
    return ("%g" % value)


def plot(report, path, width=1400, height=900, dpi=100):
    """One picture: per bucket, the gap of both runs week by week, the tolerance band, the trusted week."""
    from alma_countme.sim.reports import plot as charts

    figure = charts._figure(width, height, dpi)
    figure.suptitle("countme rollout: estimate minus truth, share of each bucket (points), "
                    "with and without the plugin", fontsize=13, fontweight="bold")
    grid = figure.add_gridspec(2, 2, hspace=0.45, wspace=0.18, left=charts._margin(70, width),
                               right=1 - charts._margin(20, width), top=0.88,
                               bottom=charts._margin(80, height))
    tolerance = report["tolerance_points"]
    colors = {"with_plugin": charts.COLORS["server"], "without_plugin": charts.COLORS["estimate"]}
    labels = [week["week_start"] for week in report["runs"]["with_plugin"]["weeks"]]
    for index, bucket in enumerate(BUCKETS):
        axis = figure.add_subplot(grid[index // 2, index % 2])
        axis.axhspan(-tolerance, tolerance, color="#1b3a5c", alpha=0.08, linewidth=0,
                     label="tolerance ±%s points" % _number(tolerance))
        axis.axhline(0, color="#1b3a5c", linewidth=0.8)
        for name in RUNS:
            run = report["runs"][name]
            values = [week["buckets"][bucket]["gap_points"] for week in run["weeks"]]
            trusted = run["trusted_from"][bucket]
            label = "%s: trusted from %s" % (RUN_LABELS[name], "never" if trusted is None
                                             else "week %d" % trusted["week"])
            axis.plot(range(len(values)), values, color=colors[name], marker="o", markersize=3, linewidth=1.6,
                      label=label)
            if trusted is not None:
                axis.axvline(trusted["week"], color=colors[name], linestyle="--", linewidth=1.0)
        axis.set_title("bucket %s: %s" % (bucket, BUCKET_LABELS[int(bucket)]), fontsize=11)
        axis.set_ylabel("points")
        axis.grid(axis="y", alpha=0.3)
        axis.legend(fontsize=8, frameon=False, loc="best")
        charts._week_axis(axis, labels, most=max(4, width // 200))
    return charts._save(figure, path, dpi)
