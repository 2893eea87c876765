"""countme-sim plot: valid PNGs of the requested pixel size, with something drawn on them."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import pytest  # noqa: E402
from simcli import countme_sim  # noqa: E402

from alma_countme.sim.reports.plot import MIX_FILE, SYSTEMS_FILE, png_size  # noqa: E402


@pytest.fixture(scope="module")
def plots(small_stream, mirrors_countme, tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    csv_path, _, _ = mirrors_countme(small_stream.log_files, "plot")
    result = countme_sim("plot", small_stream.dir, "--out", out, "--totals", csv_path,
                         "--width", 900, "--height", 600, "--dpi", 90, "--json", check=0)
    return json.loads(result.stdout), out


@pytest.mark.parametrize("name", [SYSTEMS_FILE, MIX_FILE])
def test_png_of_expected_size(plots, name):
    report, out = plots
    path = str(out / name)
    assert {"path": path, "width": 900, "height": 600} in report["files"]
    assert png_size(path) == (900, 600)
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (600, 900)
    # Not a blank canvas: several distinct colours (bars, lines, text) are drawn.
    colours = {tuple(row) for row in pixels[::7, ::7, :3].reshape(-1, 3).round(2).tolist()}
    assert len(colours) > 8


def test_default_size_and_weeks(small_stream, tmp_path):
    result = countme_sim("plot", small_stream.summary_path, "--out", tmp_path, check=0)
    written = result.stdout.split()
    assert written == [str(tmp_path / SYSTEMS_FILE), str(tmp_path / MIX_FILE)]
    assert png_size(written[0]) == (1400, 900)


def test_bad_summary_is_named(tmp_path):
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"schema": 1, "weeks": [{"week_start": "2026-11-02"}]}))
    result = countme_sim("plot", summary, "--out", tmp_path / "png", check=2)
    assert "%s: weeks[0] lacks active_systems" % summary in result.stderr
    summary.write_text("{not json")
    result = countme_sim("plot", tmp_path, "--out", tmp_path / "png", check=2)
    assert "%s: not valid JSON" % summary in result.stderr
    result = countme_sim("plot", summary, "--out", tmp_path / "png", "--width", "3", check=2)
    assert "--width" in result.stderr


def _summary(weeks):
    """A summary.json-like dict of ``weeks`` weeks, the last one incomplete."""
    return {"schema": 1, "weeks": [{
        "week_start": "2026-%02d-%02d" % (1 + index // 4, 1 + 7 * (index % 4)), "complete": index < weeks - 1,
        "active_systems": 1000 + index, "distinct_addresses": 900,
        "true_age_buckets": {"1": 10, "2": 40, "3": 300, "4": 650 + index},
        "countme_estimate_by_bucket": {"1": 9, "2": 41, "3": 299, "4": 640},
        "versions": {"9.6": 800, "8.10": 200 + index}, "arches": {"x86_64": 900, "aarch64": 100 + index},
    } for index in range(weeks)]}


def _server(summary, held_back=1):
    weeks = summary["weeks"][:len(summary["weeks"]) - held_back]
    return {week["week_start"]: dict(week["countme_estimate_by_bucket"]) for week in weeks}


@pytest.mark.parametrize("width", [1000, 900, 1400])
def test_legends_fit_inside_the_picture_with_totals(width):
    from alma_countme.sim.reports import plot

    summary = _summary(4)
    figure = plot.systems_figure(summary, width, 640, 100, server=_server(summary))
    renderer = figure.canvas.get_renderer()
    legends = list(figure.legends) + [axis.get_legend() for axis in figure.axes if axis.get_legend()]
    assert len(legends) == 2
    for legend in legends:
        extent = legend.get_window_extent(renderer)
        assert extent.x0 >= 0 and extent.x1 <= width, (legend, extent)
    title = figure._suptitle.get_window_extent(renderer)
    top_legend = figure.axes[0].get_legend().get_window_extent(renderer)
    assert top_legend.y1 <= title.y0 + 1, (top_legend, title)  # a wrapped legend stays below the title
    top_entries = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert len(top_entries) == 4 and "distinct client addresses" in top_entries


def test_held_back_week_of_the_server_is_not_drawn_as_zero():
    from alma_countme.sim.reports import plot

    summary = _summary(10)  # more than BAR_WEEKS: lines
    figure = plot.systems_figure(summary, 1400, 900, 100, server=_server(summary))
    top = figure.axes[0]
    server_line = [line for line in top.get_lines() if line.get_label().startswith("server")][0]
    values = list(server_line.get_ydata())
    assert len(values) == 10 and all(value > 0 for value in values[:9])
    assert values[9] != values[9]  # NaN: the line ends, it does not plunge to 0
    others = [line for line in top.get_lines() if line is not server_line]
    assert others and all(line.get_ydata()[9] == line.get_ydata()[9] for line in others)


def test_too_small_a_picture_is_drawn_with_a_warning(small_stream, tmp_path):
    result = countme_sim("plot", small_stream.summary_path, "--out", tmp_path, "--width", 50, "--height", 50,
                         check=0)
    assert ("countme-sim plot: warning: 50 x 50 pixels is too small for readable charts (text and panels "
            "overlap below 800 x 500)") in result.stderr
    assert png_size(str(tmp_path / SYSTEMS_FILE)) == (50, 50)
    quiet = countme_sim("plot", small_stream.summary_path, "--out", tmp_path, "--width", 800, "--height", 500,
                        check=0)
    assert "warning" not in quiet.stderr


@pytest.mark.parametrize("out,reason", [
    ("/dev/null", "--out /dev/null exists and is not a directory"),
    ("{tmp}/file/sub", "--out {tmp}/file/sub: cannot create the directory: Not a directory"),
])
def test_output_that_cannot_be_written_is_one_line_exit_2(small_stream, tmp_path, out, reason):
    (tmp_path / "file").write_text("x")
    out, reason = out.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    result = countme_sim("plot", small_stream.summary_path, "--out", out, check=2)
    assert result.stderr == "countme-sim: %s\n" % reason and result.stdout == ""
