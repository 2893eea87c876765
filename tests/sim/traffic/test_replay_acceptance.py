"""A 10,000-system week replayed over real HTTP, counted back to the truth.

`countme-sim generate` simulates 10,000 systems for two weeks; mirrors-countme
holds the newest week back, so the first week is the complete one the truth
counts. The replay sends that week and the first hour of the next (which is
what closes the first week for the counting rules) to a local `countme-sim
serve` over real HTTP, compressed to about half a minute (how fast this machine
replays is `countme-sim replay --bench`'s to measure, not a test's). Every request must
be answered, and the server's own access log, parsed back (logparse) and
totalled with the rules verify uses, must give truth.csv exactly: countme rows
and unique-address rows.
"""

import calendar
import datetime
import json
import os

import pytest
from simcli import countme_sim

from alma_countme import model
from alma_countme.sim.logs import logsource

SYSTEMS = 10000
CLOSING = 3600  # of the second week: enough to close the first (mirrors-countme waits 600 s)
TARGET_SECONDS = 30.0


def _generate(out, fmt, systems):
    countme_sim("generate", "--out", out, "--set", "population.size=%d" % systems, "--set", "run.weeks=2",
                "--seed", 6, "--format", fmt, "--quiet", check=0, timeout=240)
    return str(out)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return "almalinux", _generate(tmp_path_factory.mktemp("generated"), "almalinux", SYSTEMS)


def test_a_replayed_week_counts_to_the_truth(generated, serve, tmp_path):
    fmt, out = generated
    with open(os.path.join(out, "summary.json")) as handle:
        summary = json.load(handle)
    first, second = summary["weeks"]
    assert first["complete"] and not second["complete"]
    assert first["active_systems"] >= 0.9 * SYSTEMS
    monday = calendar.timegm(datetime.date.fromisoformat(first["week_start"]).timetuple())
    week_end = model.window_start(monday) + model.WINDOW
    stream_start, count = None, 0
    for request in logsource.replay_requests([out]):
        stream_start = request.time if stream_start is None else stream_start
        if request.time >= week_end + CLOSING:
            break
        count += 1
    assert count >= 10 * SYSTEMS  # a realistic week: several requests per system and day
    speedup = (week_end + CLOSING - stream_start) / TARGET_SECONDS

    server = serve("--format", fmt, "--sim-headers")
    report_path = tmp_path / "replay.json"
    countme_sim("replay", out, "--target", server.url, "--speedup", speedup, "--max-requests", count,
                "--connections", 64, "--report", report_path, "--quiet", check=0, timeout=180)
    assert server.stop() == 0
    report = json.loads(report_path.read_text())
    assert (report["sent"], report["completed"], report["ok"], report["errors"]) == (count, count, count, 0)

    result = countme_sim("verify", "--truth", out, "--logs", server.log_path, "--json", check=0)
    verdict = json.loads(result.stdout)
    assert verdict["ok"] and verdict["differences_within_tolerance"] == 0, verdict["findings"]
    assert verdict["truth"]["weeks"] == verdict["server"]["weeks"] == 1
    assert verdict["server"]["countme_hits"] == verdict["truth"]["countme_hits"] > 0
    assert verdict["server"]["unique_hits"] == verdict["truth"]["unique_hits"] > 0
    assert not verdict["notes"]  # unique-address rows were compared too



def test_real_mirrors_countme_on_generated_fedora_logs_passes_verify(tmp_path, mirrors_countme):
    """The correct pipeline (the real Fedora tools) on generate's logs agrees with truth.csv."""
    out = _generate(tmp_path / "fedora", "fedora", 2000)
    logs = sorted(os.path.join(directory, name) for directory, _, names in os.walk(os.path.join(out, "logs"))
                  for name in names)
    csv_path, totals_db, _ = mirrors_countme(logs, "generated-fedora")
    for totals in (csv_path, totals_db):
        result = countme_sim("verify", "--truth", out, totals, "--json", check=0)
        verdict = json.loads(result.stdout)
        assert verdict["ok"] and verdict["differences_within_tolerance"] == 0 and not verdict["notes"]
        assert verdict["server"]["countme_hits"] > 0 and verdict["server"]["unique_hits"] > 0
    countme_sim("verify", "--truth", out, "--logs", out, check=0)
