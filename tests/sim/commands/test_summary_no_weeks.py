"""countme-sim summary of a summary.json without weeks: says so instead of failing."""

import json


def test_summary_without_weeks_says_there_are_none(small_run, tmp_path, countme_sim):
    summary = json.loads((small_run / "summary.json").read_text())
    summary["weeks"] = []
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary))
    status, out, err = countme_sim("summary", path)
    assert status == 0 and err == ""
    assert out == ("countme-sim summary: seed %d, format almalinux, 2 servers\n\n"
                   "no weeks: this summary holds no weekly rows\n" % summary["seed"])
    status, out, _ = countme_sim("summary", tmp_path)
    assert status == 0 and "no weeks" in out
