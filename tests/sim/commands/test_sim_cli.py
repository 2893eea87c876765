"""The countme-sim command: truthful --help, clean errors, the reports of generate, summary and bench."""

import importlib
import json
import os
import subprocess
import sys

import pytest

from alma_countme.sim.commands import cli, options

MINE = ("generate", "scenario", "summary", "bench")


def run_module(*args):
    return subprocess.run([sys.executable, "-m", "alma_countme.sim"] + list(args), capture_output=True,
                          text=True, timeout=120)


def summaries():
    """{command: the SUMMARY its module states}."""
    return {name: importlib.import_module(module).SUMMARY for name, module in cli.COMMANDS}


def test_top_level_help_lists_every_command_with_its_summary():
    # End to end, as a user runs it: `python3 -m alma_countme.sim --help`.
    result = run_module("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps the summaries to the terminal's width
    for name, summary in summaries().items():
        assert "%s %s" % (name, " ".join(summary.split())) in text, name
    assert "countme-sim COMMAND --help" in result.stdout


def test_the_command_modules_are_light_at_import():
    # --help imports every command module: the heavy libraries wait for the command that runs.
    script = ("import sys\nfrom alma_countme.sim.commands import cli\ncli.build_parser(None)\n"
              "print(' '.join(sorted(m for m in ('numpy', 'matplotlib', 'locust', 'tomllib', 'tomli') "
              "if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "\n", result.stdout + result.stderr


@pytest.mark.parametrize("command, words", [
    ("generate", ["--out", "--scenario", "--set", "--seed", "--format", "--servers", "--gzip", "--gzip-level",
                  "--compress", "--zstd-level", "ISA-L",
                  "--shard", "--jobs", "--quiet", "--json", "truth.csv", "summary.json", "scenario.toml"]),
    ("scenario", ["--scenario", "--set", "--json", "--keys"]),
    ("summary", ["--json", "summary.json"]),
    ("bench", ["--systems", "--weeks", "--jobs", "--format", "--keep", "--json", "1,000,000"]),
])
def test_each_command_help_names_its_options(countme_sim, capsys, command, words):
    with pytest.raises(SystemExit) as leaving:
        cli.main([command, "--help"])
    assert leaving.value.code == 0
    text = capsys.readouterr().out
    for word in words:
        assert word in text, word
    if "--jobs" in words:  # the default it states is this machine's
        assert "here %d" % options.default_jobs() in text


def test_help_of_the_other_commands_works_through_the_table(capsys):
    for name, summary in summaries().items():
        if name not in MINE:
            with pytest.raises(SystemExit) as leaving:
                cli.main([name, "--help"])
            assert leaving.value.code == 0, name
            assert capsys.readouterr().out.startswith("usage: countme-sim %s " % name)
            assert summary and "\n" not in summary, name


def test_a_missing_command_module_says_so(countme_sim, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + (("ghost", "alma_countme.sim.commands.ghost"),))
    status, _, err = countme_sim("ghost")
    assert status == 2 and err == "countme-sim: command ghost is not available in this build\n"
    # The others still run, and --help lists the missing one as such.
    with pytest.raises(SystemExit) as leaving:
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert leaving.value.code == 0 and "ghost %s" % cli.NOT_AVAILABLE in text
    assert "summary %s" % importlib.import_module("alma_countme.sim.commands.summary").SUMMARY in text
    with pytest.raises(SystemExit) as leaving:
        cli.main(["summary", "--help"])
    assert leaving.value.code == 0


def test_bad_input_exits_2_with_one_clear_line(countme_sim, tmp_path):
    status, _, err = countme_sim("generate", "--out", tmp_path / "o", "--set", "population.sise=1")
    assert status == 2 and err.startswith("countme-sim: --set population.sise=1: unknown key")
    with pytest.raises(SystemExit) as leaving:
        cli.main(["generate", "--out", str(tmp_path), "--shard", "4/3"])
    assert leaving.value.code == 2
    (tmp_path / "file").write_text("")
    status, _, err = countme_sim("generate", "--out", tmp_path / "file")
    assert status == 2 and "--out %s exists and is not a directory" % (tmp_path / "file") in err
    assert countme_sim()[0] == 2


def test_an_unwritable_log_fails_cleanly_and_names_the_file(tmp_path):
    # /dev/full accepts the open and refuses every write: a full disk, as root cannot fake otherwise.
    # A process of its own, as a user runs it: the worker pool forks a process with no other threads.
    out = tmp_path / "out"
    day = out / "logs" / "mirror1" / "access-2026-11-18.log"
    day.parent.mkdir(parents=True)
    day.symlink_to("/dev/full")
    result = run_module("generate", "--out", str(out), "--set", "population.size=300",
                        "--set", "run.weeks=1", "--jobs", "2", "--quiet")
    status, err = result.returncode, result.stderr
    assert status == 2
    assert err == ("countme-sim: cannot write %s: No space left on device; that file is incomplete and was "
                   "removed\n" % day)
    assert not os.path.lexists(day) and not [n for n in os.listdir(out) if n.startswith(".countme-sim-tmp")]


def test_generate_report_and_summary_of_its_directory(countme_sim, tmp_path):
    out = tmp_path / "out"
    status, text, _ = countme_sim("generate", "--out", out, "--set", "population.size=500",
                                  "--set", "run.weeks=2", "--json")
    report = json.loads(text)
    assert status == 0 and report["files"] == 2 * 7 * 2 and report["weeks"] == 2 and report["wrote_truth"]
    with open(out / "summary.json") as handle:
        summary = json.load(handle)
    assert report["lines"] == sum(week["lines"] for week in summary["weeks"])
    status, table, _ = countme_sim("summary", out)
    assert status == 0 and table == (out / "summary.txt").read_text()
    assert "{:,}".format(summary["weeks"][0]["active_systems"]) in table
    status, text, _ = countme_sim("summary", out / "summary.json", "--json")
    assert json.loads(text) == summary
    (tmp_path / "not.json").write_text("{}")
    status, _, err = countme_sim("summary", tmp_path / "not.json")
    assert status == 2 and "is not a countme-sim summary" in err


def test_summary_json_has_the_contract_fields(small_run):
    with open(small_run / "summary.json") as handle:
        summary = json.load(handle)
    assert summary["schema"] == 1 and summary["format"] == "almalinux" and summary["servers"] == 2
    assert summary["scenario"]["population"]["size"] == 2000
    for week in summary["weeks"]:
        for key in ("week_start", "week_end", "complete", "active_systems", "true_age_buckets",
                    "countme_hits", "countme_hits_by_bucket", "countme_estimate_by_bucket",
                    "distinct_addresses", "requests", "lines", "versions", "arches"):
            assert key in week, key
        assert set(week["true_age_buckets"]) == {"1", "2", "3", "4"}
        active = week["active_systems"]
        assert sum(week["true_age_buckets"].values()) == active == sum(week["versions"].values())
        assert week["countme_hits"] == sum(week["countme_hits_by_bucket"].values())
        assert sum(week["countme_estimate_by_bucket"].values()) < week["active_systems"] < week["requests"]
    assert [w["complete"] for w in summary["weeks"]] == [True, True, False]


def test_scenario_command_prints_a_loadable_scenario(countme_sim, tmp_path):
    status, text, _ = countme_sim("scenario", "--set", "run.weeks=7")
    assert status == 0 and "weeks = 7" in text
    path = tmp_path / "s.toml"
    path.write_text(text)
    status, text, _ = countme_sim("scenario", "--scenario", path, "--json")
    assert status == 0 and json.loads(text)["run"]["weeks"] == 7
    status, text, _ = countme_sim("scenario", "--keys")
    assert status == 0 and "classes.desktop.timezones = " in text and "allowed: " in text


def test_bench_prints_its_measurements(countme_sim):
    status, text, _ = countme_sim("bench", "--systems", "3000", "--jobs", "2", "--json")
    result = json.loads(text)
    assert status == 0 and result["lines"] > 40000 and result["files"] == 14 and result["jobs"] == 2
    per_core = result["lines"] / result["seconds"] / 2
    assert result["lines_per_second_per_core"] == pytest.approx(per_core, rel=0.01)
    assert result["peak_rss_mib"] > 10 and result["cpu_seconds"] > 0 and "met_1m_week_target" not in result
    # The write floor: the same bytes written in the same run, and the run's time over it.
    assert result["write_floor_seconds"] > 0 and result["compression"] is None
    # (both figures are rounded to milliseconds, and the floor of a small run is a few of them)
    assert result["ratio_to_write_floor"] == pytest.approx(result["seconds"] / result["write_floor_seconds"],
                                                           rel=0.2)
    # The run splits where the first log file began: the first week simulated, then the writing.
    before, after = result["seconds_before_first_log_file"], result["seconds_from_first_log_file"]
    assert before > 0 and after > 0 and before + after <= result["seconds"] * 1.01
    # The processor floor: the run's CPU seconds over the jobs, and which floor is the higher.
    processor_floor = result["processor_floor_seconds"]
    cores = min(2, len(os.sched_getaffinity(0)))
    assert processor_floor == pytest.approx(result["cpu_seconds"] / cores, abs=0.002)
    assert result["ratio_to_processor_floor"] == pytest.approx(result["seconds"] / processor_floor, rel=0.02)
    higher = "processors" if processor_floor > result["write_floor_seconds"] else "disk"
    assert result["higher_floor"] == higher
    target = result["target_ratio_to_write_floor"]
    assert target == 1.25 and result["met_ratio_target"] == (result["ratio_to_write_floor"] <= target)
    status, text, _ = countme_sim("bench", "--systems", "3000", "--jobs", "1")
    assert status == 0
    for label in ("lines/second/core", "total time", "peak memory", "CPU seconds", "write floor",
                  "run / write floor", "processor floor", "before the first log", "from it to the end"):
        assert label in text


def test_progress_bar_on_a_terminal_only(tmp_path):
    """On a terminal (a pseudo-terminal with a size), a bar on stderr; into a pipe, none."""
    import fcntl
    import pty
    import struct
    import termios

    args = [sys.executable, "-m", "alma_countme.sim", "generate", "--set", "population.size=3000",
            "--set", "run.weeks=1"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of 120 columns
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execv(sys.executable, args + ["--out", str(tmp_path / "tty")])
    seen = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        seen += data
    assert os.waitpid(pid, 0)[1] == 0
    # The bar says what it counts: steps, a block of systems or a day's log file each.
    assert b"week 1/1: simulating blocks of systems" in seen and b"%|" in seen and b"step/s" in seen
    piped = subprocess.run(args + ["--out", str(tmp_path / "pipe")], capture_output=True, text=True,
                           timeout=120)
    assert piped.returncode == 0 and "%|" not in piped.stderr
    assert piped.stderr.startswith("countme-sim generate: ")


@pytest.mark.slow
def test_memory_follows_the_population_not_the_weeks(tmp_path):
    """Four times the weeks (and lines) in one process: about the same peak memory."""
    script = ("import resource, sys\nfrom alma_countme.sim.commands import cli\n"
              "cli.main(sys.argv[1:])\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    peaks = []
    for weeks in (1, 4):
        out = str(tmp_path / str(weeks))
        result = subprocess.run([sys.executable, "-c", script, "generate", "--out", out,
                                 "--set", "population.size=40000", "--set", "run.weeks=%d" % weeks,
                                 "--jobs", "1", "--quiet"], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        peaks.append(int(result.stdout.split()[-1]))
    assert peaks[1] < peaks[0] * 1.25, peaks
