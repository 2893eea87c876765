"""Show DNF's countme at work: one system's weekly flags and buckets, as the model predicts them.

A simulated system runs dnf a few times a week. Each week at most one of its
mirrorlist requests carries ``countme=<bucket>``; the bucket says how old the
system is. Two rules for that age are shown side by side:

  legacy      libdnf < 0.73.2 (AlmaLinux 8 and 9): weeks since this repo was
              first counted on this system
  machine-id  libdnf >= 0.73.2 and dnf5: weeks since /etc/machine-id was made

With --real (root, with dnf, faketime and createrepo_c installed), the same
weeks are also run against the real dnf/libdnf of this machine in a sandbox
installroot, at fake dates, with a local mirror server recording what it sends,
and compared with the rule that libdnf follows (by its version). With --plugin
as well, the project's dnf plugin runs in that dnf, and the real buckets are
compared with the machine-id rule: what the plugin makes any libdnf send.
"""

import argparse
import calendar
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from alma_countme import model
from alma_countme.libdnfversion import epoch_rule
from alma_countme.model import WINDOW

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

DEFAULT_START = "2026-01-05"
DAY = 86400
RULES = (model.EPOCH_LEGACY, model.EPOCH_MACHINE_ID)
PLUGIN_DIR = os.path.join(TOP, "dnf-plugins")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="countme-demo",
        description="Show one system's weekly countme flags and buckets under the legacy and machine-id "
        "epoch rules, computed by the project's model (alma_countme.model); with --real, also "
        "what this machine's real dnf/libdnf sends for the same weeks (with --plugin, with the "
        "project's dnf plugin loaded).",
    )
    parser.add_argument("--weeks", type=int, default=30, help="weeks to show (1-200, default 30)")
    parser.add_argument("--runs-per-week", type=int, default=4,
                        help="dnf runs (mirrorlist requests) per week (1-20, default 4)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the model's budget draws (default 1)")
    parser.add_argument("--start", default=DEFAULT_START,
                        help="Monday of the first week, YYYY-MM-DD (default %s)" % DEFAULT_START)
    parser.add_argument("--installed-weeks-ago", type=int, default=20,
                        help="age of /etc/machine-id at the start, in weeks (default 20)")
    parser.add_argument("--real", action="store_true",
                        help="also run the real dnf in a sandbox (needs root, dnf, faketime, createrepo_c); "
                        "exit 1 if it sends other buckets than the rule of its libdnf version")
    parser.add_argument("--plugin", action="store_true",
                        help="with --real: load the project's dnf plugin (dnf-plugins/countme.py) in that "
                        "dnf, which must then send the machine-id rule's buckets")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.weeks <= 200:
        parser.error("--weeks must be between 1 and 200, not %d" % args.weeks)
    if not 1 <= args.runs_per_week <= 20:
        parser.error("--runs-per-week must be between 1 and 20, not %d" % args.runs_per_week)
    if args.installed_weeks_ago < 0:
        parser.error("--installed-weeks-ago cannot be negative")
    if args.plugin and not args.real:
        parser.error("--plugin runs the plugin in the real dnf: give --real too")
    try:
        start = calendar.timegm(time.strptime(args.start, "%Y-%m-%d"))
    except ValueError:
        parser.error("--start: %r is not a date like 2026-01-05" % args.start)
    if model.window_start(start) != start:
        parser.error("--start: %s is not a Monday (countme weeks start on Monday 00:00 UTC)" % args.start)
    args.start_time = start
    return args


def run_times(start, weeks, runs_per_week):
    """When the system runs dnf: evenly through each week, from Monday 06:00 UTC."""
    step = 7 * DAY // runs_per_week
    return [[start + week * WINDOW + 6 * 3600 + run * step for run in range(runs_per_week)]
            for week in range(weeks)]


def simulate(rule, schedule, machine_id_mtime, seed):
    """The model's request-by-request outcome for one rule: a row per week."""
    rng = random.Random(seed)
    system_epoch = model.system_epoch_for(rule, machine_id_mtime)
    cookie = model.DEFAULT_COOKIE
    weeks = []
    for times in schedule:
        window = model.window_start(times[0])
        row = {"window": window, "week_start": day(window), "flagged_run": None, "bucket": None, "draws": []}
        for number, now in enumerate(times, 1):
            step = model.client_step(cookie, now, system_epoch=system_epoch, rng=rng)
            if step.drawn is not None:
                row["draws"].append(step.drawn)
            if step.flag:
                row["flagged_run"], row["bucket"] = number, step.bucket
            if step.cookie is not None:
                cookie = step.cookie
        weeks.append(row)
    return weeks


def run_real(schedule, machine_id_mtime, plugin, progress):
    """The same schedule against real dnf: one sandbox, one mirrorlist repo, a row per week;
    ``plugin``: with the project's plugin loaded."""
    import countme_harness
    from countme_harness.dnfrun import run_dnf
    from countme_harness.sandbox import Sandbox
    from countme_harness.server import MirrorServer

    missing = countme_harness.missing_requirements()
    if missing:
        raise SystemExit("countme-demo: --real cannot run here: " + "; ".join(missing))
    weeks = []
    with tempfile.TemporaryDirectory(prefix="countme-demo-") as base, MirrorServer() as server:
        sandbox = Sandbox(base)
        sandbox.add_repo("baseos", mirrorlist=server.url + "/mirrorlist/$releasever/baseos")
        # libdnf >= 0.73.2 and the plugin read the running system's machine-id: the demo's one.
        sandbox.write_machine_id(mtime=machine_id_mtime)
        env = None
        if plugin:
            sandbox.plugin_dirs.append(PLUGIN_DIR)
            shutil.copy(os.path.join(PLUGIN_DIR, "countme.conf"), sandbox.plugin_conf_dir)
            env = {"PYTHONPATH": TOP}  # the system dnf imports alma_countme from this checkout
        for index, times in enumerate(schedule):
            progress("real dnf: week %d of %d" % (index + 1, len(schedule)))
            window = model.window_start(times[0])
            row = {"window": window, "week_start": day(window), "flagged_run": None, "bucket": None}
            for number, now in enumerate(times, 1):
                server.clear()
                run_dnf(sandbox, at=now, server=server, env=env)
                sent = [r.countme for r in server.countme_requests()]
                if sent:
                    row["flagged_run"], row["bucket"] = number, sent[0]
            weeks.append(row)
        progress(None)
        cookie = sandbox.cookie_text("baseos")
    version = libdnf_version()
    # What this libdnf must send: its own rule, or with the plugin the machine-id rule.
    rule = model.EPOCH_MACHINE_ID if plugin else epoch_rule(version)
    return {"weeks": weeks, "final_cookie": cookie, "libdnf": version, "plugin": plugin, "rule": rule}


def libdnf_version():
    """libdnf's version as the system Python that runs dnf sees it (hawkey is part of libdnf)."""
    from countme_harness import SYSTEM_PYTHON

    out = subprocess.run([SYSTEM_PYTHON, "-c", "import hawkey; print(hawkey.VERSION)"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    return out.stdout.strip() or "unknown"


def make_progress(enabled):
    def progress(message):
        if not enabled:
            return
        if message is None:
            sys.stderr.write("\r\033[K" if sys.stderr.isatty() else "")
        else:
            sys.stderr.write(("\r\033[K%s" if sys.stderr.isatty() else "%s\n") % message)
        sys.stderr.flush()

    return progress


def day(when):
    return time.strftime("%Y-%m-%d", time.gmtime(when))


def build_report(args):
    schedule = run_times(args.start_time, args.weeks, args.runs_per_week)
    # The machine-id was written mid-week, installed_weeks_ago weeks before the start.
    machine_id_mtime = args.start_time - args.installed_weeks_ago * WINDOW + 2 * DAY + 11 * 3600
    report = {
        "start": day(args.start_time),
        "weeks": args.weeks,
        "runs_per_week": args.runs_per_week,
        "seed": args.seed,
        "machine_id_mtime": day(machine_id_mtime),
        "rules": {rule: simulate(rule, schedule, machine_id_mtime, args.seed) for rule in RULES},
        "real": None,
    }
    if args.real:
        real = run_real(schedule, machine_id_mtime, args.plugin, make_progress(True))
        expected = [week["bucket"] for week in report["rules"][real["rule"]]]
        real["buckets_match"] = [week["bucket"] for week in real["weeks"]] == expected
        report["real"] = real
    return report


CELL = 25  # "run  bucket label" with the longest label


def cell(week):
    if week["bucket"] is None:
        return "%-*s" % (CELL, "  -  not counted")
    return "%3d  %d %-18s" % (week["flagged_run"], week["bucket"], model.BUCKET_LABELS[week["bucket"]])


def print_table(report):
    out = sys.stdout.write
    out("countme demo: one system, %d dnf runs a week for %d weeks from Monday %s\n"
        % (report["runs_per_week"], report["weeks"], report["start"]))
    out("/etc/machine-id written %s; the model's budget draws use seed %d\n\n"
        % (report["machine_id_mtime"], report["seed"]))
    real = report["real"]
    heads = ["legacy rule", "machine-id rule"] + ([real_name(real)] if real else [])
    out("week  window      " + "".join("%-*s" % (CELL + 2, h) for h in heads).rstrip() + "\n")
    out("                  " + "".join("%-*s" % (CELL + 2, "run  bucket") for _ in heads).rstrip() + "\n")
    columns = [report["rules"][rule] for rule in RULES] + ([real["weeks"]] if real else [])
    for index in range(report["weeks"]):
        row = columns[0][index]
        cells = "".join(cell(column[index]) + "  " for column in columns)
        out("%4d  %s  %s\n" % (index + 1, day(row["window"]), cells.rstrip()))
    out("\nrun = which of the week's runs carried countme=<bucket> (libdnf spends a random budget of\n"
        "1-4 eligible requests first). legacy: the age restarts when a repo is first counted\n"
        "(AlmaLinux 8/9); machine-id: the age counts from the install (libdnf >= 0.73.2, dnf5).\n")
    if real:
        verdict = "the same buckets as" if real["buckets_match"] else "DIFFERENT buckets from"
        out("%s sent %s the %s rule's model, week by week\n"
            "(its budget draws are its own, so the flagged run may differ).\n"
            % (real_name(real), verdict, real["rule"]))
        out("its cookie after the last run: %s\n" % real["final_cookie"])


def real_name(real):
    return "real libdnf %s%s" % (real["libdnf"], " + plugin" if real["plugin"] else "")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    report = build_report(args)
    if args.json:
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print_table(report)
    if report["real"] is not None and not report["real"]["buckets_match"]:
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
        sys.exit(0)
