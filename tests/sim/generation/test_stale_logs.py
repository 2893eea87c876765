"""generate into a directory that holds an earlier run's logs: files this run overwrites are fine
(the same command again, shards of one run), other access logs are refused, named and kept."""

import os
import subprocess
import sys

import pytest

SMALL = ("--set", "population.size=500", "--quiet")


def _logs(out):
    return sorted(os.path.join(mirror, name) for mirror in os.listdir(out / "logs")
                  for name in os.listdir(out / "logs" / mirror))


def _refusal(out, count, example):
    return ("countme-sim: %s holds %d access logs of an earlier run that this run would not write, e.g. %s; "
            "remove them or choose another --out directory\n" % (out / "logs", count, out / "logs" / example))


def test_the_same_run_again_overwrites_its_own_logs(tmp_path, countme_sim):
    out = tmp_path / "out"
    assert countme_sim("generate", "--out", out, "--set", "run.weeks=2", *SMALL)[0] == 0
    first = {name: (out / "logs" / name).read_bytes() for name in _logs(out)}
    assert countme_sim("generate", "--out", out, "--set", "run.weeks=2", *SMALL)[0] == 0
    assert {name: (out / "logs" / name).read_bytes() for name in _logs(out)} == first


@pytest.mark.parametrize("second, count, example", [
    (["--set", "run.weeks=1"], 14, "mirror1/access-2026-11-23.log"),  # fewer weeks: week 2 would stay
    (["--set", "run.weeks=2", "--gzip"], 28, "mirror1/access-2026-11-16.log"),  # .log beside .log.gz
    (["--set", "run.weeks=2", "--servers", "1"], 14, "mirror2/access-2026-11-16.log"),  # fewer nodes
])
def test_logs_this_run_would_not_write_are_refused_and_kept(tmp_path, countme_sim, second, count, example):
    out = tmp_path / "out"
    assert countme_sim("generate", "--out", out, "--set", "run.weeks=2", *SMALL)[0] == 0
    before = {name: (out / "logs" / name).read_bytes() for name in _logs(out)}
    truth = (out / "truth.csv").read_bytes()
    status, _, err = countme_sim("generate", "--out", out, *second, *SMALL)
    assert status == 2 and err == _refusal(out, count, example)
    assert {name: (out / "logs" / name).read_bytes() for name in _logs(out)} == before
    assert (out / "truth.csv").read_bytes() == truth  # refused before anything was written


def test_other_files_under_logs_are_left_alone(tmp_path, countme_sim):
    out = tmp_path / "out"
    (out / "logs" / "mirror1").mkdir(parents=True)
    (out / "logs" / "mirror1" / "notes.txt").write_text("mine\n")
    (out / "logs" / "mirror1" / "access-2026-11-16.log.bak").write_text("mine\n")
    assert countme_sim("generate", "--out", out, "--set", "run.weeks=1", *SMALL)[0] == 0
    assert (out / "logs" / "mirror1" / "notes.txt").read_text() == "mine\n"


def test_shards_of_one_run_write_side_by_side_and_again(tmp_path):
    # Concurrently, as the docs show: each shard's check must allow the other shards' files.
    out = tmp_path / "out"
    command = [sys.executable, "-m", "alma_countme.sim", "generate", "--out", str(out), "--set",
               "run.weeks=2", *SMALL]
    for _ in range(2):
        shards = [subprocess.Popen(command + ["--shard", "%d/3" % k], stderr=subprocess.PIPE, text=True)
                  for k in (1, 2, 3)]
        results = [(shard.wait(timeout=120), shard.stderr.read()) for shard in shards]
        for shard in shards:
            shard.stderr.close()
        assert results == [(0, "")] * 3
        assert len(_logs(out)) == 2 * 7 * 2


def test_a_result_file_that_is_a_directory_is_refused_before_the_run(tmp_path, countme_sim):
    out = tmp_path / "out"
    (out / "truth.csv").mkdir(parents=True)
    status, _, err = countme_sim("generate", "--out", out, "--set", "run.weeks=1", *SMALL)
    assert status == 2
    assert err == ("countme-sim: cannot write %s: it is a directory; remove it or choose another --out "
                   "directory (nothing was written)\n" % (out / "truth.csv"))
    assert sorted(os.listdir(out)) == ["truth.csv"]


def test_a_log_folder_that_cannot_be_made_leaves_no_temporary_folder(tmp_path, countme_sim):
    out = tmp_path / "out"
    (out / "logs").mkdir(parents=True)
    (out / "logs" / "mirror1").write_text("not a folder\n")
    status, _, err = countme_sim("generate", "--out", out, "--set", "run.weeks=1", *SMALL)
    assert status == 2
    assert err.startswith("countme-sim: cannot create directory %s: " % (out / "logs" / "mirror1"))
    assert sorted(os.listdir(out)) == ["logs"]
    assert (out / "logs" / "mirror1").read_text() == "not a folder\n"
