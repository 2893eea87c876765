"""PNG charts of a simulation: systems per week by bucket, and the OS version and arch mix.

Input is the simulator's summary.json (schema 1). Charts are drawn with
matplotlib's Agg canvas (no display needed) at an exact pixel size.

- ``systems-per-week.png``: on top, the true number of active systems, the
  countme estimate (countme hits on the reference repo) and the number of
  distinct client addresses per week; below, one panel per bucket with the
  systems' true install-age bucket next to what countme reported.
- ``version-arch-mix.png``: the share of active systems per OS version and
  per arch, week by week.
"""

import os
import tempfile

from alma_countme.model import BUCKET_LABELS
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.generation import truth

SYSTEMS_FILE = "systems-per-week.png"
MIX_FILE = "version-arch-mix.png"
BUCKETS = ("1", "2", "3", "4")
MAX_SERIES = 8  # a mix chart shows the largest few and groups the rest as "other"
BAR_WEEKS = 8  # up to this many weeks, bars read better than lines
# Below this many pixels the titles, tick labels and legends of the charts overlap.
READABLE_SIZE = (800, 500)

COLORS = {"truth": "#1b3a5c", "estimate": "#e07a1f", "server": "#2a9d8f", "addresses": "#8d8d8d"}
MIX_COLORS = ("#1b3a5c", "#e07a1f", "#2a9d8f", "#c0392b", "#8e44ad", "#f1c40f", "#8c564b", "#e377c2",
              "#17becf")  # no grey: grey is "other"


def load_summary(path):
    """A summary.json with what the charts need: at least one week, each with its fields."""
    summary = truth.load_summary(path)
    weeks = summary["weeks"]
    if not weeks:
        raise SimError("%s: no weeks to plot" % path)
    needed = ("week_start", "active_systems", "true_age_buckets", "countme_estimate_by_bucket",
              "distinct_addresses", "versions", "arches")
    for index, week in enumerate(weeks):
        missing = [key for key in needed if key not in week]
        if missing:
            raise SimError("%s: weeks[%d] lacks %s" % (path, index, ", ".join(missing)))
    return summary


def server_estimates(totals_rows, reference_repo):
    """``{week_start: {bucket: hits}}`` of a server's totals on the reference repo.

    The repo matches by its tag, which is the repo id in AlmaLinux logs
    (``baseos``) and ``almalinux-baseos-<major>`` style in Fedora-format logs.
    """
    result = {}
    for key, hits in totals_rows.items():
        tag = key.repo_tag
        if key.sys_age < 1 or not (tag == reference_repo or "-%s-" % reference_repo in "-%s-" % tag):
            continue
        per_week = result.setdefault(key.week_start, dict.fromkeys(BUCKETS, 0))
        per_week[str(key.sys_age)] = per_week.get(str(key.sys_age), 0) + hits
    return result


def _figure(width, height, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def check_output_file(path, option):
    """SimError naming ``option`` when ``path``, a file about to be written, cannot be one.

    Called before any work starts: a directory (or a device, a socket) at that path would otherwise
    fail only when the finished file replaces it.
    """
    if os.path.isdir(path):
        raise SimError("%s: %s is a directory, not a file; remove it or write elsewhere" % (option, path))
    if os.path.lexists(path) and not os.path.isfile(path):
        raise SimError("%s: %s exists and is not a regular file" % (option, path))
    return path


def _save(figure, path, dpi):
    """Write the PNG atomically: a reader never sees half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".plot-", suffix=".png", dir=directory)
    except OSError as error:
        raise SimError("cannot write %s: %s" % (path, error.strerror or error)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            figure.savefig(stream, format="png", dpi=dpi)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise SimError("cannot write %s: %s" % (path, error.strerror or error)) from None
        raise
    return path


def _week_axis(axis, labels, most=10):
    """Week-start labels on the x axis, thinned to about ``most``."""
    step = max(1, (len(labels) + most - 1) // most)
    positions = list(range(0, len(labels), step))
    axis.set_xticks(positions)
    axis.set_xticklabels([labels[i] for i in positions], rotation=30, ha="right", fontsize=8)
    axis.set_xlim(-0.6, len(labels) - 0.4)


def _series(axis, series, bars):
    """Draw ``[(label, values, color, style)]`` as grouped bars or as lines."""
    count = len(series)
    width = 0.8 / max(count, 1)
    for index, (label, values, color, style) in enumerate(series):
        xs = range(len(values))
        if bars:
            offset = (index - (count - 1) / 2.0) * width
            axis.bar([x + offset for x in xs], values, width=width, label=label, color=color,
                     alpha=0.55 if style == "dashed" else 0.9)
        else:
            axis.plot(list(xs), values, label=label, color=color, marker="o", markersize=3,
                      linestyle="--" if style == "dashed" else "-", linewidth=1.8)


def _shade_incomplete(axis, weeks):
    for index, week in enumerate(weeks):
        if not week.get("complete", True):
            axis.axvspan(index - 0.5, index + 0.5, color="#000000", alpha=0.06, linewidth=0)


def size_warning(width, height):
    """A sentence when ``width`` x ``height`` is too small for readable charts, else None."""
    if width >= READABLE_SIZE[0] and height >= READABLE_SIZE[1]:
        return None
    return ("%d x %d pixels is too small for readable charts (text and panels overlap below %d x %d); "
            "drawing them anyway" % (width, height, READABLE_SIZE[0], READABLE_SIZE[1]))


def _fitting_legend(figure, make, count):
    """The legend ``make(ncol)`` with as many columns as fit inside the figure's width.

    One row of four entries does not fit a 1000-pixel chart; it then wraps
    into rows instead of being cut at the edge.
    """
    renderer = figure.canvas.get_renderer()
    width = figure.bbox.width
    for ncol in range(count, 1, -1):
        legend = make(ncol)
        extent = legend.get_window_extent(renderer)
        if extent.x0 >= 0 and extent.x1 <= width:
            return legend
        legend.remove()
    return make(1)


def _room_for_rows(figure, axis, legend, entries):
    """Shorten ``axis`` from the top by the legend's extra rows: a wrapped legend stays below the title."""
    rows = -(-entries // legend._ncols) if hasattr(legend, "_ncols") else 1
    if rows <= 1:
        return
    height = legend.get_window_extent(figure.canvas.get_renderer()).height
    lower = height * (rows - 1) / rows / figure.bbox.height
    box = axis.get_position()
    axis.set_position([box.x0, box.y0, box.width, box.height - lower])


def _server_values(server, labels, pick):
    """The server's value per week; NaN (nothing drawn) where its totals have no such week.

    mirrors-countme holds back the last, incomplete week: drawing it as 0 would read as data loss.
    """
    return [pick(server[label]) if label in server else float("nan") for label in labels]


def plot_systems(summary, path, width=1400, height=900, dpi=100, server=None, title=None):
    return _save(systems_figure(summary, width, height, dpi, server, title), path, dpi)


def systems_figure(summary, width=1400, height=900, dpi=100, server=None, title=None):
    """The systems-per-week chart as a matplotlib Figure (not yet saved)."""
    weeks = summary["weeks"]
    labels = [week["week_start"] for week in weeks]
    bars = len(weeks) <= BAR_WEEKS
    figure = _figure(width, height, dpi)
    grid = figure.add_gridspec(2, 4, height_ratios=(1.25, 1), hspace=0.62, wspace=0.3,
                               left=_margin(80, width), right=1 - _margin(15, width), top=0.9,
                               bottom=_margin(70, height))
    figure.suptitle(title or "Systems per week: truth, countme estimate, distinct addresses",
                    fontsize=14, fontweight="bold")

    top = figure.add_subplot(grid[0, :])
    series = [
        ("true active systems", [week["active_systems"] for week in weeks], COLORS["truth"], "solid"),
        ("countme estimate (reference repo, all buckets)",
         [sum(week["countme_estimate_by_bucket"].get(b, 0) for b in BUCKETS) for week in weeks],
         COLORS["estimate"], "solid"),
    ]
    if server is not None:
        series.append(("server's countme totals (reference repo)",
                       _server_values(server, labels, lambda counts: sum(counts.values())), COLORS["server"],
                       "solid"))
    series.append(("distinct client addresses", [week["distinct_addresses"] for week in weeks],
                   COLORS["addresses"], "dashed"))
    _series(top, series, bars)
    _shade_incomplete(top, weeks)
    top.set_ylabel("systems")
    top.set_ylim(bottom=0)
    top.grid(axis="y", alpha=0.3)
    def top_legend(ncol):
        return top.legend(loc="lower left", fontsize=9, ncol=ncol, frameon=False, bbox_to_anchor=(0, 1.0))

    legend = _fitting_legend(figure, top_legend, len(series))
    _room_for_rows(figure, top, legend, len(series))
    _week_axis(top, labels)
    _thousands(top)

    for column, bucket in enumerate(BUCKETS):
        axis = figure.add_subplot(grid[1, column])
        per_bucket = [
            ("true install age", [week["true_age_buckets"].get(bucket, 0) for week in weeks], COLORS["truth"],
             "solid"),
            ("countme estimate", [week["countme_estimate_by_bucket"].get(bucket, 0) for week in weeks],
             COLORS["estimate"], "solid"),
        ]
        if server is not None:
            in_bucket = _server_values(server, labels, lambda counts, b=bucket: counts.get(b, 0))
            per_bucket.append(("server", in_bucket, COLORS["server"], "solid"))
        _series(axis, per_bucket, bars)
        _shade_incomplete(axis, weeks)
        axis.set_title("bucket %s: %s" % (bucket, BUCKET_LABELS[int(bucket)]),
                       fontsize=10 if width >= 1200 else 8.5)
        axis.set_ylim(bottom=0)
        axis.grid(axis="y", alpha=0.3)
        _week_axis(axis, labels, most=max(2, width // 350))
        _thousands(axis)
        if column == 0:
            axis.set_ylabel("systems")
            first = axis
    # One legend for the four bucket panels, between them and the top panel.
    handles, names = first.get_legend_handles_labels()
    anchor = (0.5, first.get_position().y1 + 0.035)
    def bucket_legend(ncol):
        return figure.legend(handles, names, loc="lower center", ncol=ncol, fontsize=9, frameon=False,
                             bbox_to_anchor=anchor)

    _fitting_legend(figure, bucket_legend, len(names))
    if any(not week.get("complete", True) for week in weeks):
        figure.text(0.99, 0.01, "shaded: incomplete week", ha="right", fontsize=8, color="#555555")
    return figure


def _margin(pixels, size):
    """A margin of about ``pixels`` as a fraction of the figure, whatever its size."""
    return min(0.25, pixels / float(size))


def _thousands(axis):
    from matplotlib.ticker import FuncFormatter

    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: "{:,.0f}".format(value)))


def _shares(weeks, field):
    """Per-week shares (percent) of the largest series of ``field``, the rest as "other"."""
    totals = {}
    for week in weeks:
        for name, count in week[field].items():
            totals[name] = totals.get(name, 0) + count
    ranked = sorted(totals, key=lambda name: (-totals[name], _natural(name)))
    kept = sorted(ranked[:MAX_SERIES], key=_natural) if len(ranked) > MAX_SERIES + 1 else sorted(ranked,
                                                                                                 key=_natural)
    shares = []
    for name in kept:
        shares.append((name, [_percent(week[field].get(name, 0), week[field]) for week in weeks]))
    if len(kept) < len(ranked):
        rest = [sum(count for name, count in week[field].items() if name not in kept) for week in weeks]
        shares.append(("other", [_percent(count, week[field]) for count, week in zip(rest, weeks)]))
    return shares


def _natural(name):
    parts = []
    for piece in str(name).replace("-", ".").split("."):
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return parts


def _percent(count, counts):
    total = sum(counts.values())
    return 100.0 * count / total if total else 0.0


def _stacked(axis, weeks, shares, title):
    labels = [week["week_start"] for week in weeks]
    bottoms = [0.0] * len(weeks)
    for index, (name, values) in enumerate(shares):
        color = MIX_COLORS[index % len(MIX_COLORS)] if name != "other" else "#d0d0d0"
        axis.bar(range(len(weeks)), values, bottom=bottoms, width=0.85, label=name, color=color,
                 edgecolor="white", linewidth=0.4)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    axis.set_ylim(0, 100)
    axis.set_ylabel("share of active systems (%)")
    axis.set_title(title, fontsize=12)
    handles, names = axis.get_legend_handles_labels()
    # Listed top to bottom as the bars stack.
    axis.legend(handles[::-1], names[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9,
                frameon=False)
    _week_axis(axis, labels)


def plot_mix(summary, path, width=1400, height=900, dpi=100, title=None):
    weeks = summary["weeks"]
    figure = _figure(width, height, dpi)
    figure.suptitle(title or "Active systems by OS version and by arch", fontsize=14, fontweight="bold")
    grid = figure.add_gridspec(2, 1, hspace=0.45, left=_margin(80, width), right=1 - _margin(140, width),
                               top=0.9, bottom=_margin(70, height))
    _stacked(figure.add_subplot(grid[0]), weeks, _shares(weeks, "versions"), "OS version")
    _stacked(figure.add_subplot(grid[1]), weeks, _shares(weeks, "arches"), "Architecture")
    return _save(figure, path, dpi)


def plot_all(summary, out_dir, width=1400, height=900, dpi=100, server=None):
    """Both charts into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    return [
        plot_systems(summary, os.path.join(out_dir, SYSTEMS_FILE), width, height, dpi, server=server),
        plot_mix(summary, os.path.join(out_dir, MIX_FILE), width, height, dpi),
    ]


def png_size(path):
    """``(width, height)`` from a PNG's IHDR chunk; raises SimError when it is not a PNG."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise SimError("%s: not a PNG file" % path)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
