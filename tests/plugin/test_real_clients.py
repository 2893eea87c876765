"""The real clients side by side: machine-id cases, the headline, the rule under --installroot.

Clients (countme_harness.clients): bullseye's dnf 4.5.2 / libdnf 0.55, the host's
dnf 4.14 / libdnf 0.69 (both the legacy epoch rule), trixie's libdnf 0.74,
forky's libdnf 0.76 and forky's dnf5 (the machine-id rule). Every run is
followed request by request with the model (test_real_libdnf.Follower: flag,
bucket, cookie text and path); the system epoch the machine-id clients take
is read from the running root's machine-id with the model's rule
(installtime.libdnf_machine_id_mtime).

The plugin's promise: on the legacy clients it makes libdnf send the bucket
the machine-id clients send by themselves; on those it stands aside.
"""

import json
import os
import shutil

import pytest
from test_real_libdnf import FIRST_MONDAY, WEEKLY_RUNS, Follower

from alma_countme import model
from alma_countme.model import WINDOW
from countme_harness import CHECKOUT

MACHINE_ID_CLIENTS = ("trixie", "forky", "forky-dnf5")
DNF4_CLIENTS = ("bullseye", "bookworm", "trixie", "forky")
PLUGIN_DIR = os.path.join(CHECKOUT, "dnf-plugins")
PLUGIN_ENV = {"PYTHONPATH": CHECKOUT}
DAY = 86400


def with_plugin(sandbox):
    """Load the checkout's plugin (dnf 4 clients only); returns the env its runs need."""
    sandbox.plugin_dirs.append(PLUGIN_DIR)
    shutil.copy(os.path.join(PLUGIN_DIR, "countme.conf"), sandbox.plugin_conf_dir)
    return PLUGIN_ENV


def baseos(sandbox, server, plugin_epoch=None):
    sandbox.add_repo("baseos", mirrorlist=server.url + "/mirrorlist/$releasever/baseos")
    return Follower(sandbox, server, "baseos", "/baseos", plugin_epoch=plugin_epoch)


def run_week(run_dnf, follower, week, env=None, until_flag=False):
    """Up to 4 runs in ``week`` (from FIRST_MONDAY), each followed with the model; the flag's bucket."""
    sent = None
    for offset in WEEKLY_RUNS:
        at = FIRST_MONDAY + week * WINDOW + offset
        follower.before_run()
        run_dnf(at=at, env=env)
        step = follower.expect(at)
        if step.flag:
            sent = step.bucket
            if until_flag:
                break
    return sent


# -- the machine-id rule's cases ---------------------------------------------------------------

INSTALLED = FIRST_MONDAY - 30 * WINDOW + DAY  # 30 weeks before the first run
CASES = ("missing", "empty", "white space only", "uninitialized", "in the future", "replaced mid-run",
         "release upgrade")


@pytest.mark.clients(MACHINE_ID_CLIENTS)
@pytest.mark.parametrize("case", CASES)
def test_machine_id_cases_request_by_request(case, client, sandbox, mirror_server, run_dnf):
    """Three weeks, each run until the flag (at most 4 runs); the installroot's own machine-id
    (1 week old) never matters."""
    sandbox.write_machine_id(mtime=FIRST_MONDAY - WINDOW, where="installroot")
    running = {
        "missing": None, "empty": "", "white space only": "\n", "uninitialized": "uninitialized\n",
    }.get(case, "0123456789abcdef0123456789abcdef\n")
    mtime = FIRST_MONDAY + 10 * WINDOW if case == "in the future" else INSTALLED
    sandbox.write_machine_id(running, mtime=mtime, where="running")
    follower = baseos(sandbox, mirror_server)
    sent = []
    for week in range(3):
        if week == 2 and case == "replaced mid-run":
            # A new machine-id (e.g. regenerated for a cloned image) written on Sunday.
            sandbox.write_machine_id("fedcba9876543210fedcba9876543210\n",
                                     mtime=FIRST_MONDAY + 2 * WINDOW - DAY, where="running")
        if week == 2 and case == "release upgrade":
            sandbox.releasever = "10"  # a new mirrorlist URL: a new cookie
        sent.append(run_week(run_dnf, follower, week, until_flag=True))

    expected = {
        "missing": [1, 1, 2], "empty": [1, 1, 2], "uninitialized": [1, 1, 2],
        "white space only": [4, 4, 4],  # libdnf checks the size, not the content
        "in the future": [1, 1, 1],  # a negative age is the first bucket
        "replaced mid-run": [4, 4, 1],
        "release upgrade": [4, 4, 4],
    }[case]
    assert sent == expected


# -- the headline: old libdnf with the plugin == new libdnf without it --------------------------

# Weeks of the run (from FIRST_MONDAY): every bucket edge (steps 2, 5, 25) is crossed, then an
# upgrade changes $releasever (week 26 on).
HEADLINE_WEEKS = (0, 1, 2, 4, 5, 24, 25, 26, 27)
UPGRADE_WEEK = 26


@pytest.mark.clients()
def test_headline_same_bucket_every_week_as_upstream(client, sandbox, mirror_server, run_dnf):
    """The system was installed on the first Monday; the dnf 4 clients load the plugin.

    Each week runs until the flag (at most 4 runs); every request is followed with
    the model: on the legacy clients the plugin writes the install epoch first, on
    the machine-id clients it must change nothing (the Follower then expects the
    cookies libdnf alone writes).
    """
    installed = FIRST_MONDAY + 3600  # before the first run: a machine-id from the future is another case
    sandbox.write_machine_id(mtime=installed)
    env = with_plugin(sandbox) if client.runs_plugins else None
    legacy = client.epoch_rule == model.EPOCH_LEGACY
    follower = baseos(sandbox, mirror_server, plugin_epoch=model.monday_epoch(installed) if legacy else None)
    sent = []
    for week in HEADLINE_WEEKS:
        if week == UPGRADE_WEEK:
            sandbox.releasever = "10"
        sent.append(run_week(run_dnf, follower, week, env=env, until_flag=True))
    upstream = [model.bucket(model.monday_epoch(installed), FIRST_MONDAY + week * WINDOW)
                for week in HEADLINE_WEEKS]
    assert upstream == [1, 1, 2, 2, 3, 3, 4, 4, 4]
    assert sent == upstream


@pytest.mark.clients(("trixie", "forky"))
def test_plugin_stands_aside_on_machine_id_clients(client, sandbox, mirror_server, run_dnf):
    """With the plugin loaded, libdnf 0.74/0.76 write exactly the cookies they write alone,
    and the plugin says in dnf's debug output why it does nothing."""
    sandbox.write_machine_id(mtime=INSTALLED)
    env = with_plugin(sandbox)
    follower = baseos(sandbox, mirror_server)
    for week in range(2):
        run_week(run_dnf, follower, week, env=env)
    result = run_dnf(["-d", "10", "makecache"], at=FIRST_MONDAY + 2 * WINDOW + 3600, env=env)
    assert "takes the epoch from /etc/machine-id itself" in result.stdout + result.stderr


# -- the rule under --installroot --------------------------------------------------------------

def status_next(run_dnf, at, env):
    report = json.loads(run_dnf(["countme", "status", "--json"], at=at, env=env).stdout)
    (repo,) = report["repos"]
    return repo["next"]


@pytest.mark.clients()
def test_installroot_takes_the_running_roots_machine_id(client, sandbox, mirror_server, run_dnf):
    """As upstream libdnf and dnf5 do: a 30-week-old machine-id at the running root, a
    1-week-old one in the installroot: bucket 4; with none at the running root: bucket 1
    (a new cookie, after $releasever changed). ``dnf countme status`` predicts both."""
    sandbox.write_machine_id(mtime=FIRST_MONDAY - WINDOW, where="installroot")
    sandbox.write_machine_id(mtime=INSTALLED, where="running")
    env = with_plugin(sandbox) if client.runs_plugins else None
    follower = baseos(sandbox, mirror_server)
    expected = []
    for week, bucket in ((0, 4), (1, 1)):
        if week == 1:
            sandbox.write_machine_id(None, where="running")
            sandbox.releasever = "10"
        if client.runs_plugins:
            predicted = status_next(run_dnf, FIRST_MONDAY + week * WINDOW + 60, env)
            assert (predicted["week_start"], predicted["bucket"]) == (FIRST_MONDAY + week * WINDOW, bucket)
        if client.epoch_rule == model.EPOCH_LEGACY:
            follower.plugin_epoch = model.monday_epoch(INSTALLED) if week == 0 else None
        expected.append(run_week(run_dnf, follower, week, env=env, until_flag=True))
    assert expected == [4, 1]
