"""The real dnf clients the tests run: build and list their Debian chroots, run the matrix.

    tools/real-clients list [--json]        build what is missing, then show each client
    tools/real-clients build [SUITE ...]    build (or repair) the chroots; default: all
    tools/real-clients matrix [--json] [--client NAME ...] [--check NAME ...]
                                            run the client x check tests, print the table

Needs root (debootstrap, chroot, mounts). Chroots are cached in
/var/cache/alma-countme/chroots/<suite> (ALMA_COUNTME_CHROOTS overrides it).
The matrix is the pytest tests marked ``clients``; its exit code is 1 when any fails. A cell
is ``pass`` (``pass N``: all N parametrized runs passed), ``FAIL k/N`` or ``-`` (the check does not
apply to that client).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

from countme_harness import chroots, clients

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The tests marked ``clients`` (each runs once per real client).
MATRIX_TESTS = ["tests/plugin/test_real_libdnf.py", "tests/plugin/test_real_clients.py",
                "tests/plugin/test_plugin_realdnf.py"]


def progress(message):
    print(message, file=sys.stderr, flush=True)


def cmd_build(opts):
    suites = opts.suites or sorted(chroots.SUITES)
    for suite in suites:
        started = time.time()
        chroot = chroots.ensure(suite, progress=progress)
        print("%-9s %s (%.0f s)" % (suite, chroot.path, time.time() - started))
    return 0


def cmd_list(opts):
    rows = []
    for name in clients.CLIENT_NAMES:
        client = clients.get_client(name, progress=progress)
        rows.append({
            "client": name, "suite": client.suite, "path": client.chroot.path if client.chroot else "/",
            "program": client.program, "versions": client.versions, "epoch_rule": client.epoch_rule,
            "runs_plugin": client.runs_plugins,
        })
    if opts.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("%-11s %-9s %-40s %-10s %s" % ("client", "suite", "path", "epoch", "holds"))
    for row, name in zip(rows, clients.CLIENT_NAMES):
        print("%-11s %-9s %-40s %-10s %s" % (row["client"], row["suite"], row["path"], row["epoch_rule"],
                                             clients.get_client(name).describe()))
    return 0


def split_test_id(name):
    """``test_x[forky-dnf5-tabs]`` -> ("x", "forky-dnf5"); client None when the id names none."""
    function, _, params = name.partition("[")
    params = params.rstrip("]")
    check = function[len("test_"):] if function.startswith("test_") else function
    for client in sorted(clients.CLIENT_NAMES, key=len, reverse=True):
        if params == client or params.startswith(client + "-"):
            return check, client
    return check, None


def read_junit(junit):
    """{(check, client): [(outcome, seconds)]} from a pytest JUnit XML report."""
    results = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        check, client = split_test_id(case.get("name"))
        if client is None:
            continue
        outcome = "pass"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "FAIL"
            elif child.tag == "skipped":
                outcome = "skip"
        results.setdefault((check, client), []).append((outcome, float(case.get("time", 0))))
    return results


def run_matrix(opts):
    """Run the matrix tests under pytest; returns ({(check, client): [outcomes]}, exit code, seconds)."""
    if opts.from_junit:
        results = read_junit(opts.from_junit)
        failed = any(outcome == "FAIL" for outcomes in results.values() for outcome, _ in outcomes)
        return results, int(failed), sum(t for outcomes in results.values() for _, t in outcomes)
    with tempfile.TemporaryDirectory(prefix="countme-matrix-") as workdir:
        junit = opts.junit or os.path.join(workdir, "junit.xml")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "clients",
                "--junitxml", junit] + MATRIX_TESTS
        if opts.check:
            argv += ["-k", " or ".join(opts.check)]
        env = dict(os.environ)
        if opts.client:
            env["COUNTME_CLIENTS"] = ",".join(opts.client)
        started = time.time()
        completed = subprocess.run(argv, cwd=CHECKOUT, env=env, check=False,
                                   stdout=subprocess.DEVNULL if opts.json else sys.stderr)
        elapsed = time.time() - started
        results = read_junit(junit) if os.path.exists(junit) else {}
    return results, completed.returncode, elapsed


def cell(outcomes):
    """One table cell: ``pass``, ``FAIL 2/16``, ``skip``; with the run count when more than one."""
    total = len(outcomes)
    failed = sum(1 for outcome, _ in outcomes if outcome == "FAIL")
    skipped = sum(1 for outcome, _ in outcomes if outcome == "skip")
    if failed:
        return "FAIL %d/%d" % (failed, total)
    if skipped == total:
        return "skip"
    return "pass" if total == 1 else "pass %d" % (total - skipped)


def cmd_matrix(opts):
    results, code, elapsed = run_matrix(opts)
    checks = sorted({check for check, _ in results})
    names = [name for name in clients.CLIENT_NAMES if any(client == name for _, client in results)]
    failed = sum(1 for outcomes in results.values() for outcome, _ in outcomes if outcome == "FAIL")
    if opts.json:
        print(json.dumps({
            "clients": names, "checks": checks, "seconds": round(elapsed, 1), "pytest_exit": code,
            "failed": failed,
            "results": [{"check": check, "client": client, "result": cell(results[(check, client)]),
                         "runs": len(results[(check, client)]),
                         "failed": sum(1 for o, _ in results[(check, client)] if o == "FAIL"),
                         "seconds": round(sum(t for _, t in results[(check, client)]), 1)}
                        for check in checks for client in names if (check, client) in results],
        }, indent=2))
    else:
        width = max([len(check) for check in checks] + [5])
        print(("%-*s  %s" % (width, "check", "  ".join("%-10s" % name for name in names))).rstrip())
        for check in checks:
            cells = [cell(results[(check, name)]) if (check, name) in results else "-" for name in names]
            print(("%-*s  %s" % (width, check, "  ".join("%-10s" % c for c in cells))).rstrip())
        print("%d checks x %d clients, %d test runs, %d failed, %.0f s"
              % (len(checks), len(names), sum(len(o) for o in results.values()), failed, elapsed))
    return 0 if code == 0 else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="real-clients", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build or repair the chroots (default: all suites)")
    build.add_argument("suites", nargs="*", metavar="SUITE")
    listing = sub.add_parser("list", help="each client: chroot path, suite, dnf/libdnf/Python versions")
    listing.add_argument("--json", action="store_true")
    matrix = sub.add_parser("matrix", help="run the client x check tests and print the results")
    matrix.add_argument("--json", action="store_true")
    matrix.add_argument("--client", action="append", choices=clients.CLIENT_NAMES, help="only this client")
    matrix.add_argument("--check", action="append", help="only checks whose name contains this")
    matrix.add_argument("--junit", metavar="FILE", help="keep pytest's JUnit XML report in FILE")
    matrix.add_argument("--from-junit", metavar="FILE",
                        help="run nothing: print the matrix of an earlier report (e.g. of ./tools/test "
                             "--junitxml FILE); seconds are then the sum of the tests' times")
    opts = parser.parse_args(argv)
    try:
        return {"build": cmd_build, "list": cmd_list, "matrix": cmd_matrix}[opts.command](opts)
    except chroots.ChrootError as exc:
        print("real-clients: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
