"""The project's model against the real libdnf 0.69 (Debian 12's python3-dnf / libdnf2).

Each realdnf test here runs the system dnf in a sandbox installroot against the mirror
server of countme_harness, at fake dates (libfaketime), and compares what real
libdnf did - the cookie it wrote, the ``countme=`` it sent, the User-Agent it
sent - with what alma_countme.model / cookie / useragent predict.

The one thing the model cannot know is libdnf's random budget: it draws it from
an RNG we cannot seed. We infer ONLY that draw, from the cookies around the
request (see :func:`inferred_draw`), and hand it to the model through its
injectable ``rng``; everything else - flag or not per request, bucket, the
window/epoch fields, the budget left - must then match exactly. The rng also
checks that the model drew exactly when libdnf did.

Clock: a run starts at its fake time ``at`` and lets the clock run, so libdnf's
``time()`` is ``at`` plus dnf's start-up (well under a second). The model is
stepped at ``at``; :meth:`Follower.expect` checks that nothing would differ at
``at + CLOCK_SLACK``, so no run sits on a window boundary by accident.
"""

import calendar
import os
import time
import urllib.parse

import pytest

from alma_countme import cookie as cookie_model
from alma_countme import installtime, model
from alma_countme import useragent as ua
from alma_countme.model import DEFAULT_COOKIE, WINDOW
from countme_harness import sandbox as sandbox_module

CLOCK_SLACK = 30  # seconds; a dnf run here takes about 0.2 s
# Run times within a week (from Monday 00:00 UTC): Mon 06:00, Tue 13:00, Thu 19:30, Sat 22:00.
WEEKLY_RUNS = (6 * 3600, 86400 + 13 * 3600, 3 * 86400 + 19 * 3600 + 1800, 5 * 86400 + 22 * 3600)
WEEKS = 32


def utc(year, month, day, hour=0, minute=0, second=0):
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


FIRST_MONDAY = utc(2026, 1, 5)
assert model.window_start(FIRST_MONDAY) == FIRST_MONDAY


class InferredDraw:
    """A stand-in for ``random``: returns the one budget libdnf was seen to draw, once."""

    def __init__(self, draw):
        self.draw = draw
        self.calls = 0

    def randint(self, low, high):
        assert self.draw is not None, "the model drew a budget where real libdnf drew none"
        assert low <= self.draw <= high, "inferred draw %r outside %d..%d" % (self.draw, low, high)
        self.calls += 1
        assert self.calls == 1, "the model drew twice for one request"
        return self.draw


def inferred_draw(before, after):
    """The budget real libdnf drew for one request, read from the cookie before and after it.

    Only a request that finds ``budget < 0`` can draw. If libdnf then wrote a
    budget ``b >= 0`` it drew ``b + 1`` (and spent one); if it wrote a new
    window with budget -1 it spent the draw at once, so it drew 1. An unchanged
    cookie means no draw (window already counted). None: no draw seen.
    """
    if after is None or before.budget >= 0 or after == before:
        return None
    if after.budget >= 0:
        return after.budget + 1
    return 1


class Follower:
    """Steps the model beside real libdnf for one repo, one run (= one request) at a time."""

    def __init__(self, sandbox, server, repo_id, marker, plugin_epoch=None):
        self.sandbox = sandbox
        self.server = server
        self.repo_id = repo_id
        self.marker = marker  # a string only this repo's mirror requests contain
        self.flags = []  # (window start, bucket) of every flagged request
        # The install epoch the countme plugin writes into the cookie before libdnf reads it
        # (None: no plugin, or one that stands aside).
        self.plugin_epoch = plugin_epoch

    def before_run(self):
        self.before_text = self.sandbox.cookie_text(self.repo_id)
        self.seen = len(self.server.requests)

    def expect(self, now, label="", agent=None):
        """Check the run just made at fake time ``now``; returns the model's Step.

        ``agent``: the User-Agent the model expects on the request. The system
        epoch comes from the running root's machine-id as the client's epoch rule reads it.
        """
        where = "%s run at %s%s" % (self.repo_id, time.strftime("%Y-%m-%d %H:%M", time.gmtime(now)), label)
        mine = [
            r for r in self.server.requests[self.seen:]
            if r.path.startswith(("/mirrorlist", "/metalink"))
            and self.marker in r.path + "?" + urllib.parse.urlencode(r.query)
        ]
        assert len(mine) == 1, "%s: expected one mirror request, got %r" % (where, mine)
        sent = mine[0].countme
        if agent is not None:
            assert mine[0].user_agent == agent, "%s: User-Agent %r, model %r" % (
                where, mine[0].user_agent, agent)

        before = parse_or(self.before_text, DEFAULT_COOKIE)
        if self.plugin_epoch is not None and before.epoch != self.plugin_epoch:
            before = before._replace(epoch=self.plugin_epoch)
            self.before_text = cookie_model.format_cookie(before)
        after_text = self.sandbox.cookie_text(self.repo_id)
        after = parse_or(after_text, None)
        draw = inferred_draw(before, after)
        system_epoch = client_system_epoch(self.sandbox)
        step = model.client_step(before, now, system_epoch, rng=InferredDraw(draw))
        late = model.client_step(before, now + CLOCK_SLACK, system_epoch, rng=InferredDraw(draw))
        assert step == late, "%s: test times too close to a window boundary" % where
        assert step.drawn == draw, "%s: model drew %r, libdnf %r" % (where, step.drawn, draw)

        assert sent == (step.bucket if step.flag else None), "%s: sent countme=%r, model %r" % (
            where, sent, step)
        expected_text = cookie_model.format_cookie(step.cookie) if step.cookie else self.before_text
        assert after_text == expected_text, "%s: cookie %r, model %r (%s)" % (
            where, after_text, expected_text, step.reason)
        if step.flag:
            self.flags.append((step.cookie.window, sent))
        return step


def client_system_epoch(sandbox):
    """The system epoch the sandbox's client takes itself (None for the legacy rule)."""
    client = sandbox.client
    if client is None or client.epoch_rule == model.EPOCH_LEGACY:
        return None
    mtime = installtime.libdnf_machine_id_file_mtime(sandbox.running_machine_id_path)
    return model.system_epoch_for(client.epoch_rule, mtime)


def parse_or(text, missing):
    return cookie_model.parse_cookie(text) if text is not None else missing


def add_countable_repos(sandbox, server):
    """A mirrorlist repo and a metalink repo, both with $releasever/$basearch in the URL."""
    sandbox.add_repo("baseos", mirrorlist=server.url + "/mirrorlist/$releasever/baseos?arch=$basearch")
    sandbox.add_repo("appstream", metalink=server.url + "/metalink?repo=appstream-$releasever&arch=$basearch")
    return [
        Follower(sandbox, server, "baseos", "/baseos"),
        Follower(sandbox, server, "appstream", "repo=appstream-"),
    ]


def dir_names(cookie_paths):
    return sorted(os.path.basename(os.path.dirname(path)) for path in cookie_paths)


def run_and_follow(run_dnf, followers, at, **kwargs):
    for follower in followers:
        follower.before_run()
    run_dnf(at=at, **kwargs)
    return [follower.expect(at) for follower in followers]


# -- cookie path ---------------------------------------------------------------


@pytest.mark.realdnf
@pytest.mark.clients()
def test_cookie_directories_are_the_models_paths(sandbox, mirror_server, run_dnf):
    add_countable_repos(sandbox, mirror_server)
    run_dnf(at=FIRST_MONDAY + WEEKLY_RUNS[0])
    releasever_9 = {repo_id: sandbox.cookie_path(repo_id) for repo_id in ("baseos", "appstream")}
    assert sandbox.cookie_dirs() == dir_names(releasever_9.values())
    for path in releasever_9.values():
        assert os.path.isfile(path), path
    # The hash is over the URL after substitution: the mirrorlist request shows what libdnf used.
    assert "/mirrorlist/9/baseos" in {r.path for r in mirror_server.requests}

    sandbox.releasever = "10"
    run_dnf(at=FIRST_MONDAY + WEEKLY_RUNS[1])
    releasever_10 = {repo_id: sandbox.cookie_path(repo_id) for repo_id in ("baseos", "appstream")}
    assert set(releasever_10.values()).isdisjoint(releasever_9.values())
    assert sandbox.cookie_dirs() == dir_names(list(releasever_9.values()) + list(releasever_10.values()))
    for path in releasever_10.values():
        assert os.path.isfile(path), path


# -- the weekly sequence -------------------------------------------------------


@pytest.mark.realdnf
@pytest.mark.clients()
def test_weeks_of_runs_match_the_model_request_by_request(client, sandbox, mirror_server, run_dnf):
    """32 weeks, 3 runs a week, a mirrorlist and a metalink repo: every request, cookie and
    User-Agent as the model says, on every real client (no plugin)."""
    installed = FIRST_MONDAY - 3 * WINDOW + 2 * 86400  # crosses bucket edges 5 and 25 during the run
    sandbox.write_machine_id(mtime=installed)
    followers = add_countable_repos(sandbox, mirror_server)
    agent = model_agent(sandbox_module.DEFAULT_OS_RELEASE, sandbox.basearch)
    for week in range(WEEKS):
        for offset in WEEKLY_RUNS[:3]:
            at = FIRST_MONDAY + week * WINDOW + offset
            for follower in followers:
                follower.before_run()
            run_dnf(at=at, os_release=sandbox_module.DEFAULT_OS_RELEASE)
            for follower in followers:
                follower.expect(at, agent=agent)

    # Legacy rule (libdnf 0.55, 0.69): the age counts from the first counted window;
    # machine-id rule (0.74, 0.76, dnf5): from the Monday of the running root's machine-id.
    epoch = model.system_epoch_for(client.epoch_rule, installed) or None
    for follower in followers:
        windows = [window for window, _ in follower.flags]
        assert len(set(windows)) == len(windows) and len(windows) >= WEEKS // 2, follower.flags
        first = epoch or windows[0]
        assert [bucket for _, bucket in follower.flags] == [model.bucket(first, w) for w in windows]
        assert sandbox.read_cookie(follower.repo_id).epoch == first
        assert {bucket for _, bucket in follower.flags} >= {3, 4}


@pytest.mark.realdnf
def test_fake_clock_reaches_libdnf_but_not_file_times(sandbox, mirror_server, run_dnf):
    """libfaketime moves libdnf's time() (the cookie's window) but NO_FAKE_STAT keeps mtimes real."""
    sandbox.add_repo("baseos", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/baseos")
    far = utc(2031, 3, 12, 9, 0)
    path = sandbox.cookie_path("baseos")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write("0 0 345600 1")  # budget 1: this request is flagged, window = this week
    started = time.time()
    run_dnf(at=far)
    assert sandbox.read_cookie("baseos").window == model.window_start(far)
    assert started - 5 <= os.stat(path).st_mtime <= time.time() + 5
    # The server logged the request at the run's fake time, as a CLF line.
    (flagged,) = mirror_server.countme_requests()
    assert far <= flagged.time < far + CLOCK_SLACK
    (line,) = [line for line in mirror_server.log_lines() if "countme=" in line]
    assert "[12/Mar/2031:09:00:" in line and "GET /mirrorlist/9/baseos?countme=1 HTTP/1.1" in line


@pytest.mark.realdnf
def test_log_is_what_mirrors_countme_parses(sandbox, mirror_server, run_dnf):
    """The harness log is real Combined Log Format: Fedora's parser reads the flagged metalink hit."""
    from mirrors_countme.matchers import CountmeMatcher

    add_countable_repos(sandbox, mirror_server)
    for repo_id in ("baseos", "appstream"):
        os.makedirs(os.path.dirname(sandbox.cookie_path(repo_id)))
        with open(sandbox.cookie_path(repo_id), "w") as handle:
            handle.write("0 %d %d 1" % (FIRST_MONDAY - 30 * WINDOW, FIRST_MONDAY - WINDOW))
    at = FIRST_MONDAY + WEEKLY_RUNS[2]
    run_dnf(at=at, os_release='NAME="AlmaLinux"\nVERSION_ID="9.4"\n')
    with open(mirror_server.log_path) as log:
        items = list(CountmeMatcher(log))
    # Only the metalink URL has the /metalink?repo=&arch= shape Fedora's pipeline reads.
    (item,) = items
    assert (item.repo_tag, item.repo_arch, item.sys_age) == ("appstream-9", sandbox.basearch, 4)
    assert (item.os_name, item.os_version) == ("AlmaLinux", "9.4")
    assert at <= item.timestamp < at + CLOCK_SLACK


# -- requests that are never counted -------------------------------------------


@pytest.mark.realdnf
@pytest.mark.parametrize("case", ["baseurl-only", "countme=0", "non-root"])
def test_never_flagged(case, sandbox, mirror_server, run_dnf):
    """No flag in two weeks of runs, where a countable repo beside it is flagged once a week."""
    control = Follower(sandbox, mirror_server, "control", "/control")
    sandbox.add_repo("control", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/control")
    if case == "baseurl-only":
        sandbox.add_repo("subject", baseurl=mirror_server.url + "/repo/")
    elif case == "countme=0":
        sandbox.add_repo("subject", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/subject",
                         countme=False)
    user = "nobody" if case == "non-root" else None

    for week in range(2):
        for offset in WEEKLY_RUNS:
            control.before_run()
            run_dnf(at=FIRST_MONDAY + week * WINDOW + offset, user=user)
            if user is None:
                control.expect(FIRST_MONDAY + week * WINDOW + offset)

    if case == "non-root":
        assert mirror_server.mirror_requests(), "the non-root runs made no mirror request at all"
        assert mirror_server.countme_requests() == []
        assert not os.path.exists(sandbox.cookie_path("control"))
        # The same repo as root, the week after: counted.
        for offset in WEEKLY_RUNS:
            control.before_run()
            run_dnf(at=FIRST_MONDAY + 2 * WINDOW + offset)
            control.expect(FIRST_MONDAY + 2 * WINDOW + offset)
        assert len(control.flags) == 1
        return

    assert len(control.flags) == 2
    assert [r.path for r in mirror_server.countme_requests()] == ["/mirrorlist/9/control"] * 2
    if case == "countme=0":
        assert sum(r.path == "/mirrorlist/9/subject" for r in mirror_server.requests) == 8
    assert not os.path.exists(sandbox.cookie_path("subject"))


# -- damaged cookies -----------------------------------------------------------

LAST_MONDAY = FIRST_MONDAY - WINDOW
BAD_COOKIES = {
    "garbage": "hello world\n",
    "binary": "\xff\xfe\x00\x01",
    "empty": "",
    "truncated window": "0 %d 17675" % FIRST_MONDAY,
    "three fields": "0 %d %d" % (LAST_MONDAY, LAST_MONDAY),
    "already counted": "0 %d %d 3" % (LAST_MONDAY, FIRST_MONDAY),
    "negative numbers": "0 -604800 -1209600 -3",
    "negative epoch": "0 -1 %d 1" % LAST_MONDAY,
    "epoch overflow": "0 99999999999999999999 %d 2" % LAST_MONDAY,
    "budget overflow": "0 %d %d 99999999999" % (LAST_MONDAY, LAST_MONDAY),
    "int64 max epoch": "0 9223372036854775807 %d 1" % LAST_MONDAY,
    "int64 min epoch": "0 -9223372036854775808 %d 1" % LAST_MONDAY,
    "int64 min window": "0 0 -9223372036854775808 1",
    "window in the future": "0 0 2000000000 1",
    "fraction": "0 %d.5 %d 2" % (LAST_MONDAY, LAST_MONDAY),
    "signs and white space": "  \n+0\t+%d %d +1" % (LAST_MONDAY - 9 * WINDOW, LAST_MONDAY),
    "trailing junk": "0 %d %d 2junk" % (LAST_MONDAY, LAST_MONDAY),
    "other version": "7 %d %d 1" % (LAST_MONDAY - 3 * WINDOW, LAST_MONDAY),
}


@pytest.mark.realdnf
@pytest.mark.clients()
@pytest.mark.parametrize("name", sorted(BAD_COOKIES))
def test_damaged_cookie_read_as_the_model_reads_it(name, sandbox, mirror_server, run_dnf):
    """parse_cookie (C++ istream rules) + client_step predict the request and the cookie written back."""
    follower = add_countable_repos(sandbox, mirror_server)[0]
    path = sandbox.cookie_path(follower.repo_id)
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as handle:
        handle.write(BAD_COOKIES[name].encode("latin-1"))
    follower.before_run()
    run_dnf(at=FIRST_MONDAY + WEEKLY_RUNS[1])
    follower.expect(FIRST_MONDAY + WEEKLY_RUNS[1], " with a %s cookie" % name)


@pytest.mark.realdnf
def test_directory_instead_of_cookie_is_never_persisted(sandbox, mirror_server, run_dnf):
    """libdnf reads the defaults from a directory and cannot write: every flag is 'first week'.

    Runs every third week until two requests were flagged (1 in 4 per run; 60
    runs leave less than one chance in a million of seeing fewer). Had libdnf
    kept an epoch, the second flag, three or more weeks after the first, would
    be bucket 2 or more.
    """
    add_countable_repos(sandbox, mirror_server)
    path = sandbox.cookie_path("baseos")
    os.makedirs(path)
    assert cookie_model.read_cookie(path) == DEFAULT_COOKIE
    flagged = []
    for run in range(60):
        at = FIRST_MONDAY + 3 * run * WINDOW + WEEKLY_RUNS[run % 4]
        mirror_server.clear()
        run_dnf(at=at)
        (request,) = [r for r in mirror_server.mirror_requests() if r.path == "/mirrorlist/9/baseos"]
        if request.countme is None:
            continue
        # A flag can only come from drawing 1 with the default cookie; the model then says:
        step = model.client_step(DEFAULT_COOKIE, at, rng=InferredDraw(1))
        assert (step.flag, step.bucket) == (True, request.countme) == (True, 1)
        flagged.append(at)
        if len(flagged) == 2:
            break
    assert len(flagged) == 2
    assert os.path.isdir(path) and os.listdir(path) == []


# -- User-Agent ----------------------------------------------------------------

OS_RELEASES = {
    "AlmaLinux 9": 'NAME="AlmaLinux"\nVERSION="9.4 (Seafoam Ocelot)"\nID="almalinux"\nVERSION_ID="9.4"\n',
    "AlmaLinux variant": 'NAME="AlmaLinux"\nVERSION_ID="9.4"\nVARIANT_ID=server\n',
    "RHEL": 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.4"\nVARIANT_ID="server"\n',
    "Fedora": 'NAME="Fedora Linux"\nVERSION_ID=41\nVARIANT_ID=workstation\n',
    "Fedora odd variant": 'NAME="Fedora"\nVERSION_ID=41\nVARIANT_ID=mine\n',
    "CentOS": 'NAME="CentOS Linux"\nVERSION_ID="8"\n',
    "Ubuntu": 'NAME="Ubuntu"\nVERSION_ID="24.04"\n',
    "no VERSION_ID": 'NAME="AlmaLinux"\n',
    "line without =": 'NAME="AlmaLinux"\nVERSION_ID="9.4"\njunk\n',
    "indented comment": '  # note\nNAME="AlmaLinux"\nVERSION_ID="9.4"\n',
    "empty file": "",
    "spacing and quotes": '# c\n\nNAME = "Alma Linux"  \nVERSION_ID=\'9.4\'\nNAME=second\n',
    "tabs": '\tNAME\t=\t"A"\t\nVERSION_ID=1 \t \n',
    "vertical tab and form feed": 'NAME=\v"A"\v\nVERSION_ID=\f1\n',
    "empty values": 'NAME=\nVERSION_ID=""\nVARIANT_ID=\n',
    "unbalanced quote": 'NAME="AlmaLinux\nVERSION_ID="9.4"\n',
}


# What dnf5 5.4.6 sent for the malformed files where it differs from libdnf 0.55..0.76
# (x86_64 shown; the test substitutes the host's basearch).
_ALMA = "libdnf (AlmaLinux 9.4; generic; Linux.%s)"
DNF5_READS_DIFFERENTLY = {
    "empty values": "libdnf",
    "indented comment": _ALMA,
    "line without =": _ALMA,
    "spacing and quotes": "libdnf",
    "tabs": "libdnf",
    "unbalanced quote": "libdnf",
    "vertical tab and form feed": "libdnf",
}
DNF5_READS_DIFFERENTLY = {
    key: value % sandbox_module.host_basearch() if "%s" in value else value
    for key, value in DNF5_READS_DIFFERENTLY.items()
}


def model_agent(os_release_text, basearch, distros=ua.ANY_DISTRO):
    try:
        data = ua.parse_os_release(os_release_text)
    except ua.OsReleaseError:
        data = {}  # libdnf discards the whole file
    return ua.user_agent(data, basearch, distros=distros)


@pytest.mark.realdnf
@pytest.mark.clients()
@pytest.mark.parametrize("name", sorted(OS_RELEASES))
def test_user_agent_matches_model(name, client, sandbox, mirror_server, run_dnf):
    """libdnf reads the HOST's /etc/os-release: the harness overlays it for the dnf child only.

    dnf5 reads malformed files its own way (README, "What the real clients showed"):
    for those it must send what it was seen to send, which is not the model's.
    """
    sandbox.add_repo("baseos", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/baseos")
    run_dnf(os_release=OS_RELEASES[name])
    agents = {r.user_agent for r in mirror_server.requests}
    if client.program == "dnf5" and name in DNF5_READS_DIFFERENTLY:
        assert agents == {DNF5_READS_DIFFERENTLY[name]} != {model_agent(OS_RELEASES[name], sandbox.basearch)}
        return
    assert agents == {model_agent(OS_RELEASES[name], sandbox.basearch)}


@pytest.mark.realdnf
def test_debian_libdnf_069_has_no_whitelist(sandbox, mirror_server, run_dnf):
    """Debian's libdnf 0.69 reports every NAME and VARIANT_ID: the upstream whitelist would not."""
    sandbox.add_repo("baseos", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/baseos")
    for name in ("AlmaLinux 9", "Ubuntu", "Fedora odd variant"):
        mirror_server.clear()
        run_dnf(os_release=OS_RELEASES[name])
        (agent,) = {r.user_agent for r in mirror_server.requests}
        assert agent == model_agent(OS_RELEASES[name], sandbox.basearch, distros=ua.ANY_DISTRO)
        assert agent != model_agent(OS_RELEASES[name], sandbox.basearch, distros=ua.UPSTREAM_DISTROS)


@pytest.mark.realdnf
def test_user_agent_from_the_hosts_own_os_release(sandbox, mirror_server, run_dnf):
    sandbox.add_repo("baseos", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/baseos")
    run_dnf()
    expected = ua.user_agent(ua.read_os_release("/"), sandbox.basearch, distros=ua.ANY_DISTRO)
    assert {r.user_agent for r in mirror_server.requests} == {expected}


def test_os_release_lines_end_at_newline_only():
    """libdnf splits os-release at LF only and trims only spaces and tabs (seen above with \\v, \\f).

    A CR of a CRLF file stays in the value; real libdnf then sends a User-Agent
    with a raw CR that breaks the HTTP header, so this is checked on the model.
    """
    assert ua.parse_os_release('NAME="A"\r\nVERSION_ID=1\r\n') == {"NAME": '"A"\r', "VERSION_ID": "1\r"}


# -- the harness itself ----------------------------------------------------------

PROBE_PLUGIN = '''
import os

import dnf


class Probe(dnf.Plugin):
    name = "countmeprobe"

    def config(self):
        conf = self.read_config(self.base.conf)
        with open(os.environ["PROBE_OUT"], "w") as handle:
            handle.write(conf.get("main", "message"))
'''


@pytest.mark.realdnf
def test_harness_loads_plugins_from_plugin_dirs(sandbox, mirror_server, run_dnf, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "countmeprobe.py").write_text(PROBE_PLUGIN)
    with open(os.path.join(sandbox.plugin_conf_dir, "countmeprobe.conf"), "w") as handle:
        handle.write("[main]\nenabled=1\nmessage=read from the sandbox\n")
    sandbox.add_repo("baseos", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/baseos")
    out = tmp_path / "probe.out"

    run_dnf(env={"PROBE_OUT": str(out)})
    assert not out.exists(), "a plugin ran although plugin_dirs was empty"
    sandbox.plugin_dirs.append(str(plugins))
    run_dnf(env={"PROBE_OUT": str(out)})
    assert out.read_text() == "read from the sandbox"
