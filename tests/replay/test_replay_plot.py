"""countme-sim plot: valid PNGs of the requested pixel size, with something drawn on them."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import pytest  # noqa: E402
from simcli import countme_sim  # noqa: E402

from alma_countme.sim.plot import MIX_FILE, SYSTEMS_FILE, png_size  # noqa: E402


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
