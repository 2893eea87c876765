"""Is the simulator realistic? Real countme totals against a simulation's, week by week.

Both sides are totals in mirrors-countme's format (a real ``countme-totals``
CSV; the simulation's truth.csv, which is what a correct pipeline makes of its
logs), measured the same way, with weeks aligned by their number since
counting started (each side's first week):

- bucket shares: each sys_age's share of the countme hits on the reference
  repo (one per system: Fedora's ``updates-released-fNN``, AlmaLinux's
  ``baseos``);
- the weeks from the first until buckets 2, 3 and 4 first reach a share of
  ``appear`` percent;
- hits per counted system: countme hits on every repo over those on the
  reference repo;
- the week-over-week change of the reference repo's hits (the estimate);
- the OS version and arch mix of the reference repo's hits.
"""

import json
import re

from alma_countme.sim.common.errors import SimError
from alma_countme.sim.logs import totals_file

BUCKETS = (1, 2, 3, 4)
SCHEMA = 1


def matches(tag, reference):
    """Whether repo ``tag`` is the reference repo: ``baseos``, ``almalinux-baseos-9`` or
    ``updates-released-f31`` (but not ``updates-released-modular-f31``)."""
    return re.fullmatch(r"(?:[A-Za-z0-9_]+-)?%s(?:-f?[0-9]+)?" % re.escape(reference), tag) is not None


def weekly(rows, reference):
    """Per week (sorted): countme hits on every repo; the reference repo's by bucket, version and arch."""
    weeks = {}
    for key, hits in rows.items():
        if key.sys_age < 1:
            continue
        week = weeks.setdefault(key.week_start, {"week_start": key.week_start, "all_hits": 0,
                                                 "reference": dict.fromkeys(BUCKETS, 0), "versions": {},
                                                 "arches": {}})
        week["all_hits"] += hits
        if matches(key.repo_tag, reference) and key.sys_age in BUCKETS:
            week["reference"][key.sys_age] += hits
            version = "%s %s" % (key.os_name, key.os_version)
            week["versions"][version] = week["versions"].get(version, 0) + hits
            week["arches"][key.os_arch] = week["arches"].get(key.os_arch, 0) + hits
    return [weeks[name] for name in sorted(weeks)]


def _percent(part, whole):
    return round(100.0 * part / whole, 2) if whole else None


def _shares(counts):
    total = sum(counts.values())
    return {name: _percent(count, total) for name, count in sorted(counts.items(), key=lambda i: -i[1])}


def measure(rows, reference, appear=5.0):
    """The measures of one side (see the module doc)."""
    weeks = weekly(rows, reference)
    result = []
    previous = None
    for week in weeks:
        estimate = sum(week["reference"].values())
        result.append({
            "week_start": week["week_start"],
            "estimate": estimate,
            "bucket_shares": {str(b): _percent(week["reference"][b], estimate) for b in BUCKETS},
            "hits_per_system": round(week["all_hits"] / estimate, 3) if estimate else None,
            "change_percent": (round(100.0 * (estimate - previous) / previous, 2) if previous else None),
            "versions": _shares(week["versions"]),
            "arches": _shares(week["arches"]),
        })
        previous = estimate
    first = {}
    for bucket in (2, 3, 4):
        first[str(bucket)] = next((index for index, week in enumerate(result)
                                   if (week["bucket_shares"][str(bucket)] or 0) >= appear), None)
    return {"reference_repo": reference, "weeks": result, "weeks_until_bucket_appears": first}


def reference_names(rows):
    """The names a reference repo can be given as, most countme hits first: each repo tag of a
    countme row without its release suffix (``updates-released-f32`` is ``updates-released``)."""
    hits = {}
    for key, count in rows.items():
        if key.sys_age in BUCKETS:
            name = re.sub(r"-f?[0-9]+$", "", key.repo_tag)
            hits[name] = hits.get(name, 0) + count
    return sorted(hits, key=lambda name: (-hits[name], name))


def _side(totals, reference, appear, option):
    """One side's measures; SimError naming ``option`` when its countme rows have none on the reference
    repo (every figure would be a dash: the Fedora default on AlmaLinux totals, or a typo)."""
    measured = measure(totals.rows, reference, appear)
    if measured["weeks"] and not any(week["estimate"] for week in measured["weeks"]):
        raise SimError(unknown_reference(totals, reference, option))
    return dict(measured, path=totals.path)


def unknown_reference(totals, reference, option):
    """The message for a reference repo without countme hits in ``totals``, listing the repos it has
    (``plot --reference-repo`` says the same)."""
    names = reference_names(totals.rows)
    shown = ", ".join(names[:12]) + (", and %d more" % (len(names) - 12) if len(names) > 12 else "")
    return ("%s %s: no countme hits on that repo in %s; repos there (most countme hits first): %s; "
            "name one with %s REPO" % (option, reference, totals.path, shown or "none", option))


def compare(real_path, sim_path, real_reference="updates-released", sim_reference="baseos", appear=5.0):
    """Both sides' measures; SimError when a side's reference repo is not in its file."""
    real = totals_file.read_totals(real_path)
    sim = totals_file.read_totals(sim_path)
    return {
        "schema": SCHEMA,
        "appear_percent": appear,
        "real": _side(real, real_reference, appear, "--real-reference"),
        "simulation": _side(sim, sim_reference, appear, "--sim-reference"),
    }


def report_json(report):
    return json.dumps(report, indent=1) + "\n"


def _fmt(value, spec="%.1f"):
    return "-" if value is None else spec % value


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def table(report):
    real, sim = report["real"], report["simulation"]
    lines = ["countme-sim compare: real %s (reference repo %s) against simulation %s (reference repo %s)"
             % (real["path"], real["reference_repo"], sim["path"], sim["reference_repo"]), "",
             "weeks from the first counted week until a bucket first reaches %s%% of the hits:"
             % ("%g" % report["appear_percent"])]
    for bucket in ("2", "3", "4"):
        lines.append("  bucket %s: real %s, simulation %s" % (
            bucket, _fmt(real["weeks_until_bucket_appears"][bucket], "%d"),
            _fmt(sim["weeks_until_bucket_appears"][bucket], "%d")))
    lines.append("hits per counted system (mean): real %s, simulation %s" % (
        _fmt(_mean([w["hits_per_system"] for w in real["weeks"]]), "%.2f"),
        _fmt(_mean([w["hits_per_system"] for w in sim["weeks"]]), "%.2f")))
    lines += ["", "week  real week   sim week    bucket shares %, real | simulation (1/2/3/4)        "
              "hits/system   change %"]
    for index in range(max(len(real["weeks"]), len(sim["weeks"]))):
        r = real["weeks"][index] if index < len(real["weeks"]) else None
        s = sim["weeks"][index] if index < len(sim["weeks"]) else None

        def shares(week):
            if week is None:
                return " " * 19
            return "/".join("%4s" % _fmt(week["bucket_shares"][str(b)], "%.0f") for b in BUCKETS)

        lines.append("%4d  %-10s  %-10s  %s | %s   %5s %5s   %6s %6s" % (
            index, r["week_start"] if r else "-", s["week_start"] if s else "-", shares(r), shares(s),
            _fmt(r and r["hits_per_system"], "%.2f"), _fmt(s and s["hits_per_system"], "%.2f"),
            _fmt(r and r["change_percent"], "%+.0f"), _fmt(s and s["change_percent"], "%+.0f")))
    for field, title in (("versions", "OS versions"), ("arches", "arches")):
        lines += ["", "%s of the reference repo's hits, last week of each side (%%):" % title]
        for side, data in (("real", real), ("simulation", sim)):
            mix = data["weeks"][-1][field] if data["weeks"] else {}
            lines.append("  %-10s %s" % (side, ", ".join("%s %s" % (_name(name), _fmt(share))
                                                       for name, share in list(mix.items())[:6])))
    return "\n".join(lines) + "\n"


def plot(report, path, width=1400, height=900, dpi=100):
    from alma_countme.sim.reports import plot as charts

    real, sim = report["real"], report["simulation"]
    figure = charts._figure(width, height, dpi)
    figure.suptitle("Real countme totals (solid) against the simulation (dashed), by week since counting "
                    "started", fontsize=13, fontweight="bold")
    grid = figure.add_gridspec(2, 2, hspace=0.4, wspace=0.2, left=charts._margin(70, width),
                               right=1 - charts._margin(20, width), top=0.88,
                               bottom=charts._margin(60, height))
    colors = ("#e07a1f", "#f1c40f", "#2a9d8f", "#1b3a5c")
    axis = figure.add_subplot(grid[0, 0])
    for index, bucket in enumerate(BUCKETS):
        for data, style in ((real, "-"), (sim, "--")):
            values = [w["bucket_shares"][str(bucket)] for w in data["weeks"]]
            axis.plot(range(len(values)), values, linestyle=style, color=colors[index],
                      label="bucket %d" % bucket if style == "-" else None)
    axis.set_title("bucket shares of the reference repo's hits (%)", fontsize=11)
    axis.set_ylim(0, 100)
    axis.legend(fontsize=8, frameon=False)
    panels = (("hits_per_system", "countme hits per counted system"),
              ("change_percent", "week-over-week change of the estimate (%)"))
    for position, (field, title) in enumerate(panels):
        axis = figure.add_subplot(grid[0, 1] if position == 0 else grid[1, 0])
        for data, style, label in ((real, "-", "real"), (sim, "--", "simulation")):
            values = [w[field] for w in data["weeks"]]
            color = charts.COLORS["truth"] if style == "-" else charts.COLORS["estimate"]
            axis.plot(range(len(values)), values, linestyle=style, color=color, label=label, marker="o",
                      markersize=2)
        axis.set_title(title, fontsize=11)
        axis.set_xlabel("weeks since counting started")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, frameon=False)
    axis = figure.add_subplot(grid[1, 1])
    names = []
    for data in (real, sim):
        mix = data["weeks"][-1]["arches"] if data["weeks"] else {}
        names += [name for name in mix if name not in names]
    for offset, (data, label, color) in enumerate(((real, "real", charts.COLORS["truth"]),
                                                   (sim, "simulation", charts.COLORS["estimate"]))):
        mix = data["weeks"][-1]["arches"] if data["weeks"] else {}
        axis.bar([i + (offset - 0.5) * 0.4 for i in range(len(names))], [mix.get(n) or 0 for n in names],
                 width=0.4, label=label, color=color)
    axis.set_xticks(list(range(len(names))))
    axis.set_xticklabels([_name(name) for name in names], fontsize=8)
    axis.set_title("arch mix, last week (%)", fontsize=11)
    axis.legend(fontsize=8, frameon=False)
    return charts._save(figure, path, dpi)


def _name(value):
    # Hits whose User-Agent names no OS or arch (a bare "libdnf") have empty fields.
    return value.strip() or "(none)"
