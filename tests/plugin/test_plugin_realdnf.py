"""The plugin inside every real dnf 4 client, against the local mirror service.

Every test runs on each dnf 4 client of countme_harness.clients: bullseye's dnf 4.5.2 /
libdnf 0.55 / Python 3.9, the host's dnf 4.14 / libdnf 0.69, trixie's 4.23 /
0.74 and forky's 4.24 / 0.76 (``COUNTME_CLIENTS`` narrows that). On the last
two libdnf takes the epoch from the machine-id itself and the plugin stands
aside: it writes no cookie, so it has no cookie problem to warn about.

Each dnf run is at a fake time (faketime) and asks the mirror service once per
countable repo (the harness passes --refresh), so the requests the server logs
are exactly what libdnf decided to send.
"""

import json
import os
import re

import pytest
from plugintools import (
    DAY,
    MONDAY,
    PLUGIN_DIR,
    THURSDAY,
    WEEK,
    build_rpm,
    countme_warnings,
    import_pubkey_at,
    read_only_bind_mount,
    rpm_install_at,
    rpmdb_entries,
    write_plugin_conf,
)

from alma_countme import model

pytestmark = pytest.mark.clients(("bullseye", "bookworm", "trixie", "forky"))
LEGACY_CLIENTS = ("bullseye", "bookworm")

BUCKET_FOR_WEEKS = [(1, 1), (3, 2), (10, 3), (30, 4)]


def week_runs(dnf, first, count, spacing=3 * 3600, **kwargs):
    """``count`` dnf runs from ``first`` on, ``spacing`` seconds apart; returns their results."""
    return [dnf(at=first + index * spacing, **kwargs) for index in range(count)]


def writes_epochs(sandbox):
    """True when the plugin writes install epochs on this client (libdnf < 0.73.2)."""
    return sandbox.client.epoch_rule == model.EPOCH_LEGACY


def flags(mirror_server, path_part="/mirrorlist/"):
    return [request for request in mirror_server.countme_requests() if path_part in request.path]


def status_json(dnf, at, args=(), **kwargs):
    result = dnf(["countme", "status", "--json"] + list(args), at=at, **kwargs)
    return json.loads(result.stdout)


# -- opt-out, opt-in, DO_NOT_TRACK -------------------------------------------------------------

def test_opted_out_system_sends_no_countme_for_two_weeks_and_opt_in_brings_it_back(
        plugin_sandbox, mirror_server, dnf):
    plugin_sandbox.add_repo("appstream", metalink=mirror_server.url + "/metalink?repo=appstream-$releasever")
    out = dnf(["countme", "opt-out"], at=MONDAY)
    assert "Opted this system out of countme for every repository" in out.stdout

    # 8 runs over two weeks; some even ask for countme on the command line: the opt-out wins.
    for week in (0, 1):
        for day in range(4):
            setopt = ["--setopt=*.countme=1"] if day % 2 else []
            result = dnf(setopt + ["makecache"], at=MONDAY + week * WEEK + day * DAY + 3600)
            assert countme_warnings(result.stderr) == []
    assert len(mirror_server.mirror_requests()) == 16  # both repos asked on every run
    assert mirror_server.countme_requests() == []

    back = dnf(["countme", "opt-in"], at=MONDAY + 2 * WEEK)
    assert "Opted this system back into countme" in back.stdout
    week_runs(dnf, MONDAY + 2 * WEEK + 3600, 4)
    assert len(flags(mirror_server, "/mirrorlist/")) == 1
    assert len(flags(mirror_server, "/metalink")) == 1


def test_opt_out_of_one_repo(plugin_sandbox, mirror_server, dnf):
    plugin_sandbox.add_repo("appstream", metalink=mirror_server.url + "/metalink?repo=appstream-$releasever")
    out = dnf(["countme", "opt-out", "--repo", "appstream"], at=MONDAY)
    assert "Opted out of countme for appstream" in out.stdout
    week_runs(dnf, THURSDAY, 4)
    assert len(flags(mirror_server, "/mirrorlist/")) == 1
    assert flags(mirror_server, "/metalink") == []
    assert plugin_sandbox.read_cookie("appstream") is None  # libdnf never even looked
    report = status_json(dnf, THURSDAY + DAY, ["--repo", "appstream"])
    assert [repo["id"] for repo in report["repos"]] == ["appstream"]
    entry = report["repos"][0]
    assert entry["enabled"] and [reason["code"] for reason in entry["reasons"]] == ["opted-out"]
    assert report["opt_out"]["repos"] == ["appstream"]


def test_opt_in_names_a_repository_whose_repo_file_is_gone(plugin_sandbox, mirror_server, dnf):
    """dnf's own --repo stops at a repository it does not know; the opt-out record still names it."""
    crb = plugin_sandbox.add_repo("crb", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/crb")
    dnf(["countme", "opt-out", "--repo", "crb,baseos"], at=MONDAY)
    os.unlink(crb)
    back = dnf(["countme", "opt-in", "--repo", "crb"], at=THURSDAY)
    assert "Opted back into countme for crb." in back.stdout
    assert status_json(dnf, THURSDAY)["opt_out"]["repos"] == ["baseos"]
    unknown = dnf(["countme", "opt-in", "--repo", "nosuch"], at=THURSDAY, check=False)
    assert unknown.returncode == 1 and "no repository matches --repo nosuch" in unknown.stderr


def test_do_not_track_turns_countme_off_for_that_run(plugin_sandbox, mirror_server, dnf):
    week_runs(dnf, THURSDAY, 4, env={"DO_NOT_TRACK": "1"})
    assert mirror_server.countme_requests() == [] and len(mirror_server.mirror_requests()) == 4
    report = status_json(dnf, THURSDAY, env={"DO_NOT_TRACK": "1"})
    assert not report["will_send"] and report["reasons"][0]["code"] == "do-not-track"
    week_runs(dnf, THURSDAY + 3600, 4)
    assert len(mirror_server.countme_requests()) == 1


def test_disabled_plugin_no_longer_enforces_the_opt_out_and_status_says_so(
        plugin_sandbox, mirror_server, dnf):
    dnf(["countme", "opt-out"], at=MONDAY)
    write_plugin_conf(plugin_sandbox, "[main]\nenabled=0\n")
    week_runs(dnf, THURSDAY, 4)
    assert len(mirror_server.countme_requests()) == 1
    report = status_json(dnf, THURSDAY, ["--enableplugin=countme"])
    assert [reason["code"] for reason in report["reasons"]] == ["plugin-disabled", "opt-out-not-enforced"]
    assert report["will_send"]


# -- buckets from the install time ------------------------------------------------------------

@pytest.mark.parametrize("weeks,expected", BUCKET_FOR_WEEKS)
def test_bucket_from_machine_id_age_also_after_releasever_changes(
        plugin_sandbox, mirror_server, dnf, weeks, expected):
    installed = THURSDAY - weeks * WEEK
    plugin_sandbox.write_machine_id(mtime=installed)
    week_runs(dnf, THURSDAY, 4)
    sent = mirror_server.countme_requests()
    assert [(request.path, request.countme) for request in sent] == [("/mirrorlist/9/baseos", expected)]
    assert sent[0].countme == model.bucket(model.monday_epoch(installed), MONDAY)  # libdnf 0.73.2's rule
    assert plugin_sandbox.read_cookie("baseos").epoch == model.monday_epoch(installed)

    # An upgrade changes $releasever: a new mirrorlist URL, a new cookie directory, same age.
    old_dirs = plugin_sandbox.cookie_dirs()
    plugin_sandbox.releasever = "10"
    mirror_server.clear()
    week_runs(dnf, THURSDAY + WEEK, 4)
    sent = mirror_server.countme_requests()
    assert [(request.path, request.countme) for request in sent] == [
        ("/mirrorlist/10/baseos", model.bucket_for_step(weeks + 1))]
    assert len(plugin_sandbox.cookie_dirs()) == len(old_dirs) + 1


@pytest.mark.clients(LEGACY_CLIENTS)
def test_without_the_plugin_libdnf_069_counts_from_the_first_counted_week(plugin_sandbox, mirror_server, dnf):
    """The control for the test above: same system, plugin not loaded, bucket 1."""
    plugin_sandbox.write_machine_id(mtime=THURSDAY - 30 * WEEK)
    plugin_sandbox.plugin_dirs.clear()
    week_runs(dnf, THURSDAY, 4)
    assert [request.countme for request in mirror_server.countme_requests()] == [1]


def test_no_machine_id_leaves_the_age_to_libdnf(plugin_sandbox, mirror_server, dnf):
    plugin_sandbox.write_machine_id(None)  # neither the running root nor the installroot has one
    results = week_runs(dnf, THURSDAY, 4)
    assert all(countme_warnings(result.stderr) == [] for result in results)
    assert [request.countme for request in mirror_server.countme_requests()] == [1]
    assert plugin_sandbox.read_cookie("baseos").epoch == MONDAY  # libdnf's own rule: this window


# -- status predicts what real dnf then sends --------------------------------------------------

def test_status_json_predicts_bucket_week_and_url_of_the_next_flag(plugin_sandbox, mirror_server, dnf):
    plugin_sandbox.write_machine_id(mtime=THURSDAY - 4 * WEEK)
    fresh = status_json(dnf, THURSDAY)
    assert plugin_sandbox.read_cookie("baseos") is None  # status only looks, even as root
    upcoming = fresh["repos"][0]["next"]
    assert (upcoming["week_start"], upcoming["bucket"]) == (MONDAY, 2)
    assert (upcoming["requests_min"], upcoming["requests_max"]) == (1, 4)

    week_runs(dnf, THURSDAY, 4)
    counted = status_json(dnf, THURSDAY + 2 * 3600 * 4)
    upcoming = counted["repos"][0]["next"]
    assert counted["repos"][0]["cookie"]["counted_this_week"]
    assert upcoming["week_start"] == MONDAY + WEEK and upcoming["bucket"] == 3  # 5 weeks old by then

    mirror_server.clear()
    runs = 0
    while not mirror_server.countme_requests():
        assert runs < upcoming["requests_max"], "no flag within the predicted number of requests"
        dnf(at=upcoming["earliest"] + 3600 + runs * 600)
        runs += 1
    assert runs >= upcoming["requests_min"]
    request = mirror_server.countme_requests()[0]
    assert model.window_start(int(request.time)) == upcoming["week_start"]
    assert request.countme == upcoming["bucket"]
    assert mirror_server.url + request.path + "?countme=%d" % request.countme == upcoming["url"]
    assert request.user_agent == counted["user_agent"]


def test_status_works_without_root(plugin_sandbox, mirror_server, dnf):
    result = dnf(["countme", "status", "--json"], at=THURSDAY, user="nobody")
    report = json.loads(result.stdout)
    assert report["running_as_root"] is False
    assert "not-root" in [reason["code"] for reason in report["reasons"]]
    # The sandbox's machine-id is two weeks old.
    assert report["repos"][0]["id"] == "baseos" and report["repos"][0]["next"]["bucket"] == 2
    text = dnf(["countme"], at=THURSDAY, user="nobody").stdout
    # A non-root run sees the root through a bind mount elsewhere: only the file name is the same.
    assert re.search(r"baseos: countme=1 \(/\S+/etc/yum\.repos\.d/baseos\.repo:6\)", text)
    assert "never send countme" in text


def test_status_as_a_user_who_cannot_read_the_opt_out_file_says_so(plugin_sandbox, mirror_server, dnf):
    dnf(["countme", "opt-out", "--repo", "baseos"], at=MONDAY)
    os.chmod(plugin_sandbox.path("etc/dnf/countme-optout"), 0o600)  # as a umask of 077 would leave it
    text = dnf(["countme"], at=THURSDAY, user="nobody").stdout
    assert "cannot be read by uid" in text and "'sudo dnf countme' shows what it holds" in text
    assert "damaged" not in text
    report = status_json(dnf, THURSDAY)
    assert report["opt_out"]["repos"] == ["baseos"] and report["opt_out"]["problem"] is None


def test_opt_out_needs_root(plugin_sandbox, mirror_server, dnf):
    result = dnf(["countme", "opt-out"], at=THURSDAY, user="nobody", check=False)
    assert result.returncode != 0
    assert not os.path.exists(plugin_sandbox.path("etc/dnf/countme-optout"))


# -- --repo-files ----------------------------------------------------------------------------

def test_repo_files_opt_out_and_opt_in_leave_files_byte_identical(plugin_sandbox, mirror_server, dnf):
    plugin_sandbox.write_dnf_conf(extra={"countme": "1"})
    plugin_sandbox.add_repo("appstream", metalink=mirror_server.url + "/metalink?repo=appstream-$releasever",
                            countme=None, extra="# countme comes from dnf.conf here\r\n")
    paths = [plugin_sandbox.repos["baseos"].path, plugin_sandbox.repos["appstream"].path]
    for path in paths:
        os.chmod(path, 0o640)
        os.chown(path, 4242, 4343)

    def snapshot():
        return [(open(path, "rb").read(), os.stat(path).st_mode, os.stat(path).st_uid, os.stat(path).st_gid)
                for path in paths]

    before = snapshot()
    out = dnf(["countme", "opt-out", "--repo-files"], at=MONDAY)
    assert "Set countme=0 at %s:6 [baseos] (was: countme=1)." % paths[0] in out.stdout
    assert "Added countme=0 at %s:2 [appstream]." % paths[1] in out.stdout
    after = snapshot()
    assert [entry[1:] for entry in after] == [entry[1:] for entry in before]
    assert b"countme=0" in after[0][0] and b"countme=0" in after[1][0]

    # A system that lost the plugin still sends nothing: the files say countme=0.
    plugin_sandbox.plugin_dirs.clear()
    week_runs(dnf, THURSDAY, 4)
    assert mirror_server.countme_requests() == []
    plugin_sandbox.plugin_dirs.append(PLUGIN_DIR)

    again = dnf(["countme", "opt-out", "--repo-files"], at=THURSDAY)
    assert "repo files unchanged" in again.stdout
    back = dnf(["countme", "opt-in"], at=THURSDAY)
    assert "Restored %s:6 [baseos] to: countme=1." % paths[0] in back.stdout
    assert snapshot() == before
    assert not os.path.exists(plugin_sandbox.path("etc/dnf/countme-optout"))


# -- never break dnf ---------------------------------------------------------------------------

@pytest.mark.parametrize("content,words", [("garbage", "damaged"), ("0 12", "damaged")])
def test_damaged_cookie_one_warning_and_the_right_bucket(plugin_sandbox, mirror_server, dnf, content, words):
    plugin_sandbox.write_machine_id(mtime=THURSDAY - 10 * WEEK)
    path = plugin_sandbox.cookie_path("baseos")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(content)
    results = week_runs(dnf, THURSDAY, 4)
    warnings = countme_warnings(results[0].stderr)
    if writes_epochs(plugin_sandbox):
        assert len(warnings) == 1 and words in warnings[0] and path in warnings[0]
    else:
        assert warnings == []
    assert all(countme_warnings(result.stderr) == [] for result in results[1:])
    assert [request.countme for request in mirror_server.countme_requests()] == [3]


def test_cookie_path_that_is_a_directory(plugin_sandbox, mirror_server, dnf):
    path = plugin_sandbox.cookie_path("baseos")
    os.makedirs(path)
    result = dnf(at=THURSDAY)
    warnings = countme_warnings(result.stderr)
    assert len(warnings) == writes_epochs(plugin_sandbox) and all("is a directory" in w for w in warnings)
    assert "Traceback" not in result.stderr and os.path.isdir(path)


def test_read_only_persistdir(plugin_sandbox, mirror_server, dnf):
    directory = os.path.dirname(plugin_sandbox.cookie_path("baseos"))
    os.makedirs(directory)
    with read_only_bind_mount(directory):
        result = dnf(at=THURSDAY)
    warnings = countme_warnings(result.stderr)
    assert len(warnings) == writes_epochs(plugin_sandbox)
    assert all("Read-only file system" in warning for warning in warnings)
    assert len(mirror_server.mirror_requests()) == 1  # dnf went on and asked the mirror service


@pytest.mark.parametrize("content", ["", "uninitialized\n"])
def test_empty_or_uninitialized_machine_id_is_quiet(plugin_sandbox, mirror_server, dnf, content):
    plugin_sandbox.write_machine_id(content, mtime=THURSDAY - 30 * WEEK)
    results = week_runs(dnf, THURSDAY, 4)  # libdnf flags within 4 requests
    assert all(countme_warnings(result.stderr) == [] for result in results)
    # libdnf's own rule, untouched by the plugin: the first counted week is the epoch.
    assert [request.countme for request in mirror_server.countme_requests()] == [1]
    assert plugin_sandbox.read_cookie("baseos").epoch == MONDAY


def test_machine_id_in_the_future_one_warning(plugin_sandbox, mirror_server, dnf):
    plugin_sandbox.write_machine_id(mtime=THURSDAY + 2 * DAY)
    result = dnf(at=THURSDAY)
    warnings = countme_warnings(result.stderr)
    assert len(warnings) == writes_epochs(plugin_sandbox)
    assert all("future" in warning and "machine-id" in warning for warning in warnings)


def test_malformed_plugin_config_value(plugin_sandbox, mirror_server, dnf):
    path = write_plugin_conf(plugin_sandbox, "[main]\nenabled=1\nepoch_source=banana\n")
    plugin_sandbox.write_machine_id(mtime=THURSDAY - 3 * WEEK)
    result = dnf(at=THURSDAY)
    warnings = countme_warnings(result.stderr)
    assert len(warnings) == 1 and path in warnings[0] and "epoch_source=banana" in warnings[0]
    # The default (machine-id) is used instead (on the legacy clients; the others take it themselves).
    if writes_epochs(plugin_sandbox):
        assert plugin_sandbox.read_cookie("baseos").epoch == model.monday_epoch(THURSDAY - 3 * WEEK)


@pytest.mark.parametrize("text,words", [
    ("[main]\nenabled=maybe\n", "enabled=maybe is not 1/0"),
    ("enabled=1\nthis is not INI\n", "cannot be read as an INI file (IniParser: Missing section header"),
])
def test_broken_plugin_config_never_breaks_dnf(plugin_sandbox, mirror_server, dnf, text, words):
    """dnf's own read_config raises on these files in its plugin loader; the plugin's never does."""
    dnf(["countme", "opt-out"], at=MONDAY)
    path = write_plugin_conf(plugin_sandbox, text)
    for args in (["-C", "repolist"], ["makecache"]):
        result = dnf(args, at=THURSDAY)
        assert "Traceback" not in result.stderr and "Parsing file failed" not in result.stderr
        warnings = countme_warnings(result.stderr)
        assert len(warnings) == 1 and path in warnings[0] and words in warnings[0]
        assert "the plugin stays enabled" in warnings[0]
    assert mirror_server.countme_requests() == []  # still enabled, so the opt-out is still enforced
    report = status_json(dnf, THURSDAY)
    assert report["plugin"]["enabled"] is True
    assert any(words in problem for problem in report["plugin"]["problems"])


def test_garbage_opt_out_file_means_opted_out(plugin_sandbox, mirror_server, dnf):
    with open(plugin_sandbox.path("etc/dnf/countme-optout"), "w") as handle:
        handle.write("this is not json")
    results = week_runs(dnf, THURSDAY, 4)
    warnings = countme_warnings(results[0].stderr)
    assert len(warnings) == 1 and "countme-optout" in warnings[0] and "damaged" in warnings[0]
    assert mirror_server.countme_requests() == [] and len(mirror_server.mirror_requests()) == 4


def test_opt_out_of_one_repo_never_narrows_a_damaged_opt_out(plugin_sandbox, mirror_server, dnf):
    """A damaged state file means "every repository"; 'opt-out --repo' must keep that, and say so."""
    plugin_sandbox.add_repo("appstream", metalink=mirror_server.url + "/metalink?repo=appstream-$releasever")
    path = plugin_sandbox.path("etc/dnf/countme-optout")
    with open(path, "w") as handle:
        handle.write("this is not json")
    out = dnf(["countme", "opt-out", "--repo", "baseos"], at=MONDAY)
    assert countme_warnings(out.stderr) == []  # the command says it once, on stdout
    assert "baseos and every other repository stay opted out" in out.stdout
    assert "'dnf countme opt-in', then 'dnf countme opt-out --repo baseos'" in out.stdout
    week_runs(dnf, THURSDAY, 4)
    assert mirror_server.countme_requests() == [] and len(mirror_server.mirror_requests()) == 8
    assert status_json(dnf, THURSDAY + DAY)["opt_out"]["all"] is True


def test_directory_at_the_opt_out_path_one_clean_message(plugin_sandbox, mirror_server, dnf):
    path = plugin_sandbox.path("etc/dnf/countme-optout")
    os.mkdir(path)
    result = dnf(["countme", "opt-in"], at=THURSDAY, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Errno" not in result.stdout + result.stderr
    assert countme_warnings(result.stderr) == []
    assert ("Cannot remove the opt-out file %s: Is a directory." % path) in result.stderr
    assert os.path.isdir(path)
    run = dnf(at=THURSDAY)  # an ordinary run: one warning, worded once, no nested parentheses
    warnings = countme_warnings(run.stderr)
    assert warnings == ["countme: the countme opt-out file %s is damaged or unreadable: Is a directory. This "
                        "system counts as opted out of every repository until it is moved out of the way "
                        "(dnf countme did not write it and leaves it alone)" % path]
    assert mirror_server.countme_requests() == []


def test_unreadable_repo_file(plugin_sandbox, mirror_server, dnf):
    """A .repo dnf cannot read (here a directory): dnf warns itself, the plugin stays quiet."""
    os.mkdir(os.path.join(plugin_sandbox.repos_dir, "broken.repo"))
    result = dnf(at=THURSDAY)
    assert countme_warnings(result.stderr) == []
    report = status_json(dnf, THURSDAY)
    assert [repo["id"] for repo in report["repos"]] == ["baseos"]


# -- the rpm database as the install time source ---------------------------------------------

@pytest.mark.rpmbuild
@pytest.mark.clients(("bookworm",))  # the host's rpm writes the installroot's database
def test_epoch_source_rpmdb_uses_the_oldest_package_and_keeps_it(
        plugin_sandbox, mirror_server, dnf, tmp_path):
    # Each candidate gives its own bucket: only the oldest package gives 3.
    older, newer, key = THURSDAY - 10 * WEEK, THURSDAY - 3 * WEEK, THURSDAY - 30 * WEEK
    rpm_install_at(plugin_sandbox.root, build_rpm("countme-newer", tmp_path), newer)  # bucket 2
    rpm_install_at(plugin_sandbox.root, build_rpm("countme-older", tmp_path), older)  # bucket 3
    import_pubkey_at(plugin_sandbox.root, key, tmp_path)  # bucket 4, but a key is no installed package
    assert [when for _, when in rpmdb_entries(plugin_sandbox.root)] == [newer, older, key]
    write_plugin_conf(plugin_sandbox, "[main]\nenabled=1\nepoch_source=rpmdb\n")
    plugin_sandbox.write_machine_id(mtime=THURSDAY - WEEK)  # would give bucket 1

    report = status_json(dnf, THURSDAY)
    assert report["install_time"]["rpmdb"]["time"] == older
    assert (report["install_time"]["source"], report["age"]["bucket"]) == ("rpmdb", 3)
    assert report["repos"][0]["next"]["bucket"] == 3

    week_runs(dnf, THURSDAY, 4)
    assert [request.countme for request in mirror_server.countme_requests()] == [3]
    with open(os.path.join(plugin_sandbox.persistdir, "countme-rpmdb-installtime")) as handle:
        assert int(handle.read()) == older
