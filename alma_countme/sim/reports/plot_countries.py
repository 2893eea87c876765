"""countries.png: per country, true active systems next to the countme estimate, and their bucket mix.

Drawn from a summary.json of a run with countries (countries.database set),
for its last complete week (the last week when none is complete).
"""

from alma_countme.sim.reports import plot as charts

COUNTRIES_FILE = "countries.png"
BUCKET_COLORS = ("#e07a1f", "#f1c40f", "#2a9d8f", "#1b3a5c")


def _week(summary):
    complete = [week for week in summary["weeks"] if week.get("complete")]
    return (complete or summary["weeks"])[-1]


def plot(summary, path, width=1400, height=900, dpi=100):
    week = _week(summary)
    codes = summary["countries"]["codes"]
    per = week["countries"]
    order = sorted(codes, key=lambda code: -per[code]["active_systems"])
    figure = charts._figure(width, height, dpi)
    figure.suptitle("Countries, week of %s: true active systems and countme estimate (%s)"
                    % (week["week_start"], summary.get("reference_repo", "baseos")), fontsize=13,
                    fontweight="bold")
    grid = figure.add_gridspec(2, 1, hspace=0.5, left=charts._margin(80, width),
                               right=1 - charts._margin(20, width),
                               top=0.9, bottom=charts._margin(60, height))
    top = figure.add_subplot(grid[0])
    positions = range(len(order))
    truth = [per[code]["active_systems"] for code in order]
    estimate = [sum(per[code]["countme_estimate_by_bucket"].values()) for code in order]
    top.bar([x - 0.2 for x in positions], truth, width=0.4, color=charts.COLORS["truth"],
            label="true active systems")
    top.bar([x + 0.2 for x in positions], estimate, width=0.4, color=charts.COLORS["estimate"],
            label="countme estimate")
    top.set_xticks(list(positions))
    top.set_xticklabels(order, fontsize=8)
    top.set_ylabel("systems")
    top.grid(axis="y", alpha=0.3)
    top.legend(fontsize=9, frameon=False)
    charts._thousands(top)
    bottom = figure.add_subplot(grid[1])
    for side, (field, offset) in enumerate((("true_age_buckets", -0.2), ("countme_estimate_by_bucket", 0.2))):
        base = [0.0] * len(order)
        for index, bucket in enumerate(charts.BUCKETS):
            shares = []
            for code in order:
                counts = per[code][field]
                total = sum(counts.values())
                shares.append(100.0 * counts[bucket] / total if total else 0.0)
            bottom.bar([x + offset for x in positions], shares, bottom=base, width=0.38,
                       color=BUCKET_COLORS[index], alpha=1.0 if side == 0 else 0.6,
                       label="bucket %s (%s)" % (bucket, "truth" if side == 0 else "estimate"))
            base = [b + s for b, s in zip(base, shares)]
    bottom.set_xticks(list(positions))
    bottom.set_xticklabels(order, fontsize=8)
    bottom.set_ylim(0, 100)
    bottom.set_ylabel("share of the country (%): truth left, estimate right")
    bottom.legend(fontsize=7, frameon=False, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return charts._save(figure, path, dpi)
