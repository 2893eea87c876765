"""Measure what the countme plugin costs a dnf run that does no network work.

In a sandbox installroot (the test harness's), with metadata already cached,
``dnf -C repolist`` runs N times with the plugin and N times without it,
interleaved so that machine noise hits both alike. The plugin's config() hook
logs its own duration to the sandbox's dnf.log; those figures give the
per-hook cost, the wall-clock difference gives the whole cost (loading the
plugin module and the alma_countme package included). The local mirror
service must see no request during the measured runs.

Needs root (libdnf counts, and the plugin writes cookies, only as root) and
the system dnf; run it as ``tools/plugin-overhead`` from the checkout. The
plugin and the alma_countme package are copied and byte-compiled first, as
the RPM installs them, so that compiling the sources is not counted.
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import countme_harness
from countme_harness import dnfrun, repo, sandbox, server

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

PLUGIN_DIR = os.path.join(TOP, "dnf-plugins")
PLUGIN_CONF = os.path.join(PLUGIN_DIR, "countme.conf")
HOOK_LINE = re.compile(r"countme: config hook took ([0-9.]+) ms")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="plugin-overhead",
        description="Measure the countme plugin's overhead on a dnf run with no network work "
        "(dnf -C repolist on cached metadata, with and without the plugin, interleaved), and "
        "the cost of its config() hook as it logs it.",
    )
    parser.add_argument("--runs", type=int, default=20,
                        help="runs with and without the plugin each (default 20)")
    parser.add_argument("--repos", type=int, default=3,
                        help="countable repos (mirrorlist) in the sandbox, each with a cookie (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    parser.add_argument("--keep", action="store_true", help="keep the sandbox directory and say where it is")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 1000:
        parser.error("--runs must be between 1 and 1000, not %d" % args.runs)
    if not 1 <= args.repos <= 50:
        parser.error("--repos must be between 1 and 50, not %d" % args.repos)
    return args


def progress(message):
    print(message, file=sys.stderr, flush=True)


def summary(values):
    return {
        "mean": round(statistics.mean(values), 3),
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(box, args, env):
    """Wall-clock and CPU (user + system) milliseconds of one dnf run."""
    cpu, started = _children_cpu(), time.perf_counter()
    dnfrun.run_dnf(box, args, env=env, refresh=False)
    return (time.perf_counter() - started) * 1000.0, (_children_cpu() - cpu) * 1000.0


def hook_times(box):
    path = box.path("var/log/dnf.log")
    with open(path) as handle:
        return [float(match.group(1)) for match in HOOK_LINE.finditer(handle.read())]


def installed_copy(workdir):
    """The plugin and alma_countme copied under ``workdir`` and byte-compiled; returns (site, plugin dir)."""
    site = os.path.join(workdir, "site")
    shutil.copytree(os.path.join(TOP, "alma_countme"), os.path.join(site, "alma_countme"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    plugin_dir = os.path.join(site, "dnf-plugins")
    os.makedirs(plugin_dir)
    shutil.copy(os.path.join(PLUGIN_DIR, "countme.py"), plugin_dir)
    subprocess.run([countme_harness.SYSTEM_PYTHON, "-m", "compileall", "-q", site], check=True)
    return site, plugin_dir


def measure(workdir, runs, repo_count):
    site, plugin_dir = installed_copy(workdir)
    mirror_repo = repo.make_repo(os.path.join(workdir, "repo"))
    with server.MirrorServer(repo_dir=mirror_repo, log_path=os.path.join(workdir, "access.log")) as mirror:
        box = sandbox.Sandbox(os.path.join(workdir, "sandbox"))
        shutil.copy(PLUGIN_CONF, os.path.join(box.plugin_conf_dir, "countme.conf"))
        for index in range(repo_count):
            box.add_repo("repo%d" % index,
                         mirrorlist="%s/mirrorlist/$releasever/repo%d" % (mirror.url, index))
        env = {"PYTHONPATH": site, "PYTHONDONTWRITEBYTECODE": "1"}
        progress("filling the metadata cache and the cookies ...")
        box.plugin_dirs[:] = [plugin_dir]
        dnfrun.run_dnf(box, ["makecache"], env=env)
        os.truncate(box.path("var/log/dnf.log"), 0)
        mirror.clear()

        with_plugin, without_plugin = [], []
        for index in range(runs):
            box.plugin_dirs[:] = []
            without_plugin.append(timed_run(box, ["-C", "repolist"], env))
            box.plugin_dirs[:] = [plugin_dir]
            with_plugin.append(timed_run(box, ["-C", "repolist"], env))
            progress("run %d/%d: without %.1f ms, with %.1f ms (wall clock)"
                     % (index + 1, runs, without_plugin[-1][0], with_plugin[-1][0]))
        requests = len(mirror.requests)
        hooks = hook_times(box)
    if requests:
        raise SystemExit("plugin-overhead: the measured runs made %d network requests; the figures would "
                         "not be about the plugin alone" % requests)
    if len(hooks) != runs:
        raise SystemExit("plugin-overhead: expected %d config hook timings in dnf.log, found %d"
                         % (runs, len(hooks)))
    result = {"command": "dnf -C repolist", "runs": runs, "repos": repo_count, "network_requests": requests}
    for index, clock in enumerate(("wall", "cpu")):
        without = [times[index] for times in without_plugin]
        with_ = [times[index] for times in with_plugin]
        result[clock] = {
            "without_plugin_ms": summary(without),
            "with_plugin_ms": summary(with_),
            "overhead_ms": summary([a - b for a, b in zip(with_, without)]),
        }
    result["config_hook_ms"] = summary(hooks)
    return result


def render(result):
    lines = ["countme plugin overhead: %s, %d runs each, %d countable repos, no network requests"
             % (result["command"], result["runs"], result["repos"])]
    rows = []
    for clock, title in (("wall", "wall clock"), ("cpu", "CPU (user+system)")):
        rows.append((title + ", without plugin", result[clock]["without_plugin_ms"]))
        rows.append((title + ", with plugin", result[clock]["with_plugin_ms"]))
        rows.append((title + ", difference", result[clock]["overhead_ms"]))
    rows.append(("config() hook (as it logs)", result["config_hook_ms"]))
    for label, figures in rows:
        lines.append("  %-34s mean %8.2f ms  median %8.2f ms  (min %.2f, max %.2f)"
                     % (label, figures["mean"], figures["median"], figures["min"], figures["max"]))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    missing = countme_harness.missing_requirements()
    if missing:
        raise SystemExit("plugin-overhead: cannot run the real dnf here: " + "; ".join(missing))
    workdir = tempfile.mkdtemp(prefix="countme-overhead-")
    try:
        result = measure(workdir, args.runs, args.repos)
    finally:
        if args.keep:
            progress("sandbox kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
