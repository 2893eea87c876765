"""alma_countme.status and its parts: the status report, its predictions, its reasons and its text."""

import json
import os
import random

import pytest
from plugintools import MONDAY, THURSDAY, WEEK

from alma_countme import installtime, model, status
from alma_countme.cookie import cookie_path, format_cookie
from alma_countme.model import Cookie
from alma_countme.nextflag import flag_url, predict_next_flag
from alma_countme.optout import EVERYTHING, NOT_OPTED_OUT, OptOut
from alma_countme.settings import DEFAULT_SETTINGS, Settings
from alma_countme.statusfacts import (
    FROM_COMMAND_LINE,
    FROM_DEFAULT,
    FROM_MAIN_CONFIG,
    FROM_REPO_FILE,
    Facts,
    RepoFacts,
)
from alma_countme.statustext import render_text

MIRRORLIST = "https://mirrors.almalinux.org/mirrorlist/9/baseos"
UA = "libdnf (AlmaLinux 9.4; generic; Linux.x86_64)"


@pytest.fixture
def root(tmp_path, monkeypatch):
    # The plugin reads the running system's machine-id; this unit test's root stands for it.
    monkeypatch.setattr(installtime, "RUNNING_ROOT", str(tmp_path))
    for directory in ("etc/yum.repos.d", "etc/dnf", "var/lib/dnf"):
        (tmp_path / directory).mkdir(parents=True)
    set_machine_id(tmp_path, THURSDAY - 30 * WEEK)
    (tmp_path / "etc/dnf/dnf.conf").write_text("[main]\ngpgcheck=1\ncountme=0\n")
    return tmp_path


def set_machine_id(root, mtime):
    path = root / "etc" / "machine-id"
    path.write_text("0123456789abcdef0123456789abcdef\n")
    os.utime(str(path), (mtime, mtime))


def repo_file(root, text, name="almalinux-baseos.repo"):
    path = root / "etc/yum.repos.d" / name
    path.write_text(text)
    return str(path)


def repo(root, repo_id="baseos", countme=True, countme_from=FROM_REPO_FILE, text=None, enabled=True,
         mirrorlist=MIRRORLIST, baseurls=(), enabled_from_command_line=False):
    if text is None:
        text = "[%s]\nname=x\nmirrorlist=%s\nenabled=%d\ncountme=%d\n" % (
            repo_id, mirrorlist, enabled, countme)
    path = repo_file(root, text, repo_id + ".repo")
    return RepoFacts(repo_id, "AlmaLinux 9 - " + repo_id, enabled, enabled_from_command_line, countme,
                            countme_from, path, None, mirrorlist, tuple(baseurls))


def facts(root, repos, **changes):
    values = dict(
        now=THURSDAY, installroot=str(root), persistdir=str(root / "var/lib/dnf"), uid=0, do_not_track=False,
        plugin_enabled=True, plugin_conf_path="/etc/dnf/plugins/countme.conf", settings=DEFAULT_SETTINGS,
        settings_problems=[], libdnf_version="0.69.0", user_agent=UA,
        main_conf_path=str(root / "etc/dnf/dnf.conf"), optout_path=str(root / "etc/dnf/countme-optout"),
        optout_state=NOT_OPTED_OUT, optout_problem=None, repos=repos, substitute=lambda text: text,
    )
    values.update(changes)
    return Facts(**values)


def write_cookie(root, repo_facts, cookie):
    path = cookie_path(str(root / "var/lib/dnf"), repo_facts.id, None, repo_facts.mirrorlist)
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(format_cookie(cookie))
    return path


def test_report_for_a_fresh_system(root):
    baseos = repo(root)
    report = status.build_report(facts(root, [baseos]))
    json.dumps(report)  # one JSON document
    assert (report["schema"], report["version"]) == ("alma-countme-status", 1)
    assert report["will_send"] and report["sending_repos"] == ["baseos"] and report["reasons"] == []
    assert report["age"]["weeks"] == 30 and report["age"]["bucket"] == 4
    assert report["epoch_fix"]["active"]
    assert report["install_time"]["source"] == "machine-id"
    assert report["user_agent"] == UA
    entry = report["repos"][0]
    assert entry["countme_source"]["kind"] == "repo-file"
    assert (entry["countme_source"]["path"], entry["countme_source"]["line"]) == (baseos.repofile, 5)
    assert entry["cookie"]["exists"] is False and entry["cookie"]["last_counted_week"] is None
    upcoming = entry["next"]
    assert (upcoming["week_start"], upcoming["bucket"], upcoming["flag"]) == (MONDAY, 4, "countme=4")
    assert (upcoming["requests_min"], upcoming["requests_max"]) == (1, 4)
    assert upcoming["url"] == MIRRORLIST + "?countme=4"


@pytest.mark.parametrize("weeks,expected", [
    (1, 1), (3, 2), (10, 3), (30, 4), (0, 1), (2, 2), (5, 3), (25, 4),
])
def test_bucket_follows_install_age(root, weeks, expected):
    set_machine_id(root, THURSDAY - weeks * WEEK)
    report = status.build_report(facts(root, [repo(root)]))
    assert report["age"]["bucket"] == expected == report["repos"][0]["next"]["bucket"]


def test_counted_this_week_predicts_next_week(root):
    baseos = repo(root)
    write_cookie(root, baseos, Cookie(0, MONDAY - 4 * WEEK, MONDAY, -1))
    entry = status.build_report(facts(root, [baseos]))["repos"][0]
    assert entry["cookie"]["counted_this_week"] and entry["cookie"]["last_counted_week"] == "2026-11-16"
    assert entry["next"]["week_start"] == MONDAY + WEEK
    # The plugin replaces the cookie's epoch (4 weeks) with the install time (30 weeks + 1).
    assert entry["next"]["bucket"] == 4 and entry["cookie"]["epoch_after_fix"] == model.monday_epoch(
        THURSDAY - 30 * WEEK)


def test_budget_carried_over_is_exact(root):
    baseos = repo(root)
    write_cookie(root, baseos, Cookie(0, 0, MONDAY - WEEK, 2))
    upcoming = status.build_report(facts(root, [baseos]))["repos"][0]["next"]
    assert (upcoming["requests_min"], upcoming["requests_max"], upcoming["week_start"]) == (2, 2, MONDAY)


def test_damaged_huge_budget_is_spent_one_request_at_a_time(root):
    baseos = repo(root)
    path = write_cookie(root, baseos, Cookie(0, 0, 345600, 99))
    entry = status.build_report(facts(root, [baseos]))["repos"][0]
    assert (entry["next"]["requests_min"], entry["next"]["requests_max"]) == (99, 99)
    with open(path, "w") as handle:
        handle.write("garbage")
    entry = status.build_report(facts(root, [baseos]))["repos"][0]
    assert "damaged" in entry["cookie"]["problem"]


def test_prediction_matches_the_model_step_by_step(root):
    """Whatever the budget draws, libdnf's steps flag within the predicted count, week and bucket."""
    rng = random.Random(7)
    for _ in range(200):
        window = MONDAY - rng.choice([0, 1, 2, 40]) * WEEK
        cookie = Cookie(0, rng.choice([0, MONDAY - 9 * WEEK]), window, rng.choice([-1, 0, 1, 2, 3, 4]))
        now = THURSDAY + rng.randrange(0, 3 * 86400)
        upcoming = predict_next_flag(cookie, now)
        current, count = cookie, 0
        while True:
            count += 1
            step = model.client_step(current, upcoming["earliest"], rng=rng)
            if step.flag:
                break
            current = step.cookie
        assert upcoming["requests_min"] <= count <= upcoming["requests_max"]
        assert (step.cookie.window, step.bucket) == (upcoming["week_start"], upcoming["bucket"])


def test_legacy_rule_without_install_time(root):
    (root / "etc" / "machine-id").write_text("")
    baseos = repo(root)
    report = status.build_report(facts(root, [baseos]))
    assert not report["epoch_fix"]["active"] and "is empty" in report["epoch_fix"]["reason"]
    assert report["age"]["bucket"] is None
    assert report["repos"][0]["next"]["bucket"] == 1  # libdnf: the first counted week is the epoch
    write_cookie(root, baseos, Cookie(0, MONDAY - 10 * WEEK, MONDAY - WEEK, -1))
    assert status.build_report(facts(root, [baseos]))["repos"][0]["next"]["bucket"] == 3


@pytest.mark.parametrize("weeks,expected", [(30, 4), (3, 2)])
def test_libdnf_that_derives_the_epoch_itself(root, weeks, expected):
    """The bucket comes from the running root's machine-id (here the fixture's), 30 or 3 weeks old."""
    set_machine_id(root, THURSDAY - weeks * WEEK)
    report = status.build_report(facts(root, [repo(root)], libdnf_version="0.73.2"))
    assert not report["epoch_fix"]["active"] and "itself" in report["epoch_fix"]["reason"]
    assert report["repos"][0]["next"]["bucket"] == expected
    assert (report["age"]["weeks"], report["age"]["bucket"]) == (weeks, expected)


def codes(reasons):
    return [reason["code"] for reason in reasons]


def test_opted_out_system(root):
    report = status.build_report(facts(root, [repo(root)], optout_state=EVERYTHING))
    assert not report["will_send"]
    assert codes(report["reasons"]) == ["opted-out"]
    entry = report["repos"][0]
    assert codes(entry["reasons"]) == ["opted-out"] and entry["countme"] is False
    assert entry["countme_configured"] is True and entry["next"] is None


def test_one_repo_opted_out(root):
    report = status.build_report(facts(root, [repo(root), repo(root, "appstream")],
                                       optout_state=OptOut(False, ("appstream",), ())))
    assert report["sending_repos"] == ["baseos"]
    assert codes(report["repos"][1]["reasons"]) == ["opted-out"]


def test_opt_out_is_not_enforced_when_the_plugin_is_disabled(root):
    report = status.build_report(facts(root, [repo(root)], optout_state=EVERYTHING, plugin_enabled=False,
                                       do_not_track=True))
    assert report["will_send"]
    assert codes(report["reasons"]) == ["plugin-disabled", "opt-out-not-enforced"]
    assert not report["epoch_fix"]["active"]


def test_do_not_track_and_not_root(root):
    report = status.build_report(facts(root, [repo(root)], do_not_track=True, uid=1000))
    assert codes(report["reasons"]) == ["do-not-track", "not-root"]
    assert not report["will_send"] and report["running_as_root"] is False


def test_damaged_opt_out_file_is_a_reason(root):
    report = status.build_report(facts(root, [repo(root)], optout_state=EVERYTHING,
                                       optout_problem="damaged!"))
    assert codes(report["reasons"]) == ["opt-out-file-damaged", "opted-out"]


def test_where_countme_is_off(root):
    repos = [
        repo(root, "infile", countme=False),
        repo(root, "commented", countme=False, countme_from=FROM_DEFAULT,
             text="[commented]\nname=c\nmirrorlist=%s\n# countme=1\n" % MIRRORLIST),
        repo(root, "mainconf", countme=False, countme_from=FROM_MAIN_CONFIG,
             text="[mainconf]\nname=m\nmirrorlist=%s\n" % MIRRORLIST),
        repo(root, "setopt", countme=False, countme_from=FROM_COMMAND_LINE),
        repo(root, "unset", countme=False, countme_from=FROM_DEFAULT,
             text="[unset]\nname=u\nmirrorlist=%s\n" % MIRRORLIST),
        repo(root, "baseurl", mirrorlist=None, baseurls=("https://repo/",),
             text="[baseurl]\nname=b\nbaseurl=https://repo/\ncountme=1\n"),
        repo(root, "disabled", enabled=False),
    ]
    report = status.build_report(facts(root, repos))
    reasons = {entry["id"]: entry["reasons"] for entry in report["repos"]}
    assert codes(reasons["infile"]) == ["countme-off-in-file"]
    assert (reasons["infile"][0]["path"], reasons["infile"][0]["line"]) == (repos[0].repofile, 5)
    assert codes(reasons["commented"]) == ["countme-commented-out"] and reasons["commented"][0]["line"] == 4
    assert report["repos"][1]["commented_out"][0]["text"] == "# countme=1"
    assert codes(reasons["mainconf"]) == ["countme-off-in-main-config"]
    main_conf = str(root / "etc/dnf/dnf.conf")
    assert (reasons["mainconf"][0]["path"], reasons["mainconf"][0]["line"]) == (main_conf, 3)
    assert codes(reasons["setopt"]) == ["countme-off-on-command-line"]
    assert codes(reasons["unset"]) == ["countme-not-set"]
    assert codes(reasons["baseurl"]) == ["no-mirrorlist-or-metalink"]
    assert codes(reasons["disabled"]) == ["repo-disabled"]
    assert not report["will_send"]


def test_enabled_comes_from_the_file_when_the_command_line_decided_it(root):
    shown = repo(root, "extras", enabled=False)._replace(enabled=True, enabled_from_command_line=True)
    entry = status.build_report(facts(root, [shown]))["repos"][0]
    assert entry["enabled"] is False and codes(entry["reasons"]) == ["repo-disabled"]


def test_unreadable_repo_file_is_reported_not_raised(root):
    baseos = repo(root)._replace(repofile=str(root / "etc/yum.repos.d"))
    entry = status.build_report(facts(root, [baseos]))["repos"][0]
    assert "cannot read" in entry["countme_source"]["problem"]
    assert entry["will_send"]


def test_rpmdb_source_without_a_database(root):
    report = status.build_report(facts(root, [repo(root)], settings=Settings("rpmdb")))
    assert report["install_time"]["source"] is None
    assert "no rpm database" in report["install_time"]["rpmdb"]["problem"]
    assert not report["epoch_fix"]["active"]


def test_render_text_says_what_leaves_the_machine(root):
    repos = [repo(root), repo(root, "crb", countme=False)]
    text = render_text(status.build_report(facts(root, repos)))
    assert "send countme for 1 of 2 repositories: baseos" in text
    assert "Age: 30 weeks -> bucket 4" in text
    assert "User-Agent: " + UA in text
    assert "sends: GET " + MIRRORLIST + "?countme=4" in text
    assert "  crb: countme=0 (%s:5)\n    not sent: countme is off in" % repos[1].repofile in text
    assert "  baseos: countme=1 (%s:5)\n" % repos[0].repofile in text


def test_render_text_for_an_opted_out_system(root):
    text = render_text(status.build_report(facts(root, [repo(root)], optout_state=EVERYTHING)))
    assert text.startswith("countme: this system sends no countme at all.\n")
    assert "Opt-out: every repository" in text


def test_flag_url():
    assert flag_url("https://m/mirrorlist/9/baseos", "countme=2") == "https://m/mirrorlist/9/baseos?countme=2"
    assert flag_url("https://m/metalink?repo=x&arch=y", "countme=2") == (
        "https://m/metalink?repo=x&arch=y&countme=2")


def _paths(value, prefix=""):
    if isinstance(value, dict):
        for key, item in value.items():
            path = "%s.%s" % (prefix, key) if prefix else key
            yield path
            yield from _paths(item, path)
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item, prefix + "[]")


def test_schema_document_lists_exactly_the_fields_of_the_report(root):
    """doc/countme-status-schema.md and the report stay in step, field for field."""
    import re

    from alma_countme.repofiles import CHANGED, Edit

    edit = Edit(str(root / "etc/yum.repos.d/crb.repo"), "crb", 5, CHANGED, b"countme=1\n", b"countme=0\n")
    repos = [
        repo(root),
        repo(root, "crb"),
        repo(root, "commented", countme=False, countme_from=FROM_DEFAULT,
             text="[commented]\nname=c\nmirrorlist=%s\n#countme=1\n" % MIRRORLIST),
    ]
    report = status.build_report(facts(root, repos, uid=1000, optout_state=OptOut(False, ("crb",), (edit,))))
    assert report["repos"][0]["next"] and report["repos"][1]["reasons"]
    assert report["repos"][2]["commented_out"]
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "doc", "countme-status-schema.md")
    with open(doc) as handle:
        documented = set(re.findall(r"^\| `([^`]+)` \|", handle.read(), re.MULTILINE))
    assert set(_paths(report)) == documented
