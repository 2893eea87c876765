"""tools/countme-demo: the newcomer's demo of the model (and, with --real, of real dnf)."""

import calendar
import json
import os
import pwd
import subprocess
import sys
import time

import publiccopy
import pytest

import countme_harness
from alma_countme import libdnfversion, model
from countme_harness import CHECKOUT

DEMO = os.path.join(CHECKOUT, "tools", "countme-demo")


def demo(*args, user=None, script=DEMO, python=sys.executable):
    argv = [python, script] + list(args)
    if user is not None:
        account = pwd.getpwnam(user)
        ids = ["--reuid=%d" % account.pw_uid, "--regid=%d" % account.pw_gid, "--clear-groups"]
        argv = ["setpriv"] + ids + argv
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300, check=False)


def date(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%d"))


def test_main_in_process_prints_what_the_script_prints(capsys):
    # tools/countme-demo is a shim over countme_harness.demo.main.
    from countme_harness import demo as demo_module
    args = ["--json", "--weeks", "3", "--seed", "5"]
    assert demo_module.main(args) == 0
    in_process = json.loads(capsys.readouterr().out)
    assert in_process["rules"]["legacy"]
    assert in_process == json.loads(demo(*args).stdout)


def test_help_names_every_option():
    result = demo("--help")
    assert result.returncode == 0
    for option in ("--weeks", "--seed", "--json", "--real", "--plugin", "--runs-per-week", "--start"):
        assert option in result.stdout


def test_json_report_is_the_models_weeks():
    result = demo("--json", "--weeks", "30", "--seed", "7", "--installed-weeks-ago", "10")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["real"] is None
    start = date(report["start"])
    machine_id_epoch = model.monday_epoch(date(report["machine_id_mtime"]))
    assert machine_id_epoch == start - 10 * model.WINDOW
    legacy, machine_id = report["rules"]["legacy"], report["rules"]["machine-id"]
    windows = [start + week * model.WINDOW for week in range(30)]
    assert [row["window"] for row in legacy] == [row["window"] for row in machine_id] == windows
    # 4 runs a week, budgets of 1..4: one flag every week, on the run that spent the budget.
    assert [row["bucket"] for row in legacy] == [model.bucket(start, w) for w in windows]
    assert [row["bucket"] for row in machine_id] == [model.bucket(machine_id_epoch, w) for w in windows]
    for row in legacy:
        assert row["draws"] and all(1 <= draw <= model.BUDGET for draw in row["draws"])
        assert 1 <= row["flagged_run"] <= 4
    assert [row["flagged_run"] for row in legacy] == [row["flagged_run"] for row in machine_id]


def test_same_seed_same_report_other_seed_other_draws():
    first = demo("--json", "--seed", "3", "--weeks", "12").stdout
    assert demo("--json", "--seed", "3", "--weeks", "12").stdout == first
    others = {demo("--json", "--seed", str(seed), "--weeks", "12").stdout for seed in (4, 5)}
    assert first not in others


def test_table_shows_both_rules():
    result = demo("--weeks", "6")
    assert result.returncode == 0, result.stderr
    assert "legacy rule" in result.stdout and "machine-id rule" in result.stdout
    week_lines = [line for line in result.stdout.splitlines() if line[:4].strip().isdigit()]
    assert len(week_lines) == 6 and week_lines[0].split()[1] == "2026-01-05"


@pytest.mark.parametrize(
    "args,message",
    [(["--weeks", "0"], "--weeks"), (["--start", "2026-01-06"], "not a Monday"),
     (["--start", "soon"], "--start"), (["--runs-per-week", "99"], "--runs-per-week"),
     (["--plugin"], "--plugin runs the plugin in the real dnf: give --real too")],
)
def test_bad_options_are_named(args, message):
    result = demo(*args)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the demo as another user")
def test_real_refuses_without_root_and_says_why():
    # nobody may not reach the checkout (or its .venv): run a world-readable copy on the system Python.
    public = publiccopy.public_copy(["tools/countme-demo", "alma_countme/*.py", "countme_harness/*.py"])
    try:
        result = demo("--real", "--weeks", "1", user="nobody",
                      script=os.path.join(public, "tools", "countme-demo"),
                      python=countme_harness.SYSTEM_PYTHON)
    finally:
        publiccopy.remove(public)
    assert result.returncode != 0
    assert "--real cannot run here" in result.stderr and "not root" in result.stderr


def _real_report(*args):
    missing = countme_harness.missing_requirements()
    if missing:
        pytest.skip("cannot drive real dnf: " + "; ".join(missing))
    result = demo("--real", "--json", "--weeks", "6", "--seed", "2", *args)
    assert result.returncode == 0, result.stderr
    assert "real dnf: week 6 of 6" in result.stderr
    return json.loads(result.stdout)


@pytest.mark.realdnf
def test_real_dnf_sends_the_buckets_of_its_libdnf_rule():
    report = _real_report("--installed-weeks-ago", "1")
    real = report["real"]
    rule = libdnfversion.epoch_rule(real["libdnf"])
    assert (real["rule"], real["plugin"]) == (rule, False)
    assert [row["bucket"] for row in real["weeks"]] == [row["bucket"] for row in report["rules"][rule]]
    # The host's libdnf 0.69 counts from the repo's first counted week, not the machine-id's.
    if rule == model.EPOCH_LEGACY:
        assert [row["bucket"] for row in real["weeks"]] == [1, 1, 2, 2, 2, 3]
    assert real["buckets_match"] is True


@pytest.mark.realdnf
def test_real_dnf_with_the_plugin_sends_the_machine_id_buckets():
    report = _real_report("--installed-weeks-ago", "1", "--plugin")
    real = report["real"]
    assert (real["rule"], real["plugin"]) == (model.EPOCH_MACHINE_ID, True)
    machine_id_epoch = model.monday_epoch(date(report["machine_id_mtime"]))
    windows = [row["window"] for row in report["rules"]["machine-id"]]
    assert [row["bucket"] for row in real["weeks"]] == [model.bucket(machine_id_epoch, w) for w in windows]
    assert [row["bucket"] for row in real["weeks"]] == [1, 2, 2, 2, 3, 3]
    assert real["buckets_match"] is True
    # The plugin wrote the install week into libdnf's cookie: its epoch is the machine-id's Monday.
    assert int(real["final_cookie"].split()[1]) == machine_id_epoch
