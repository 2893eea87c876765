"""alma_countme.optcommands: opt-out / opt-in, idempotent, and undoing exactly what was done."""

import os
import stat

import pytest
from plugintools import read_only_bind_mount

from alma_countme import optcommands
from alma_countme.optout import EVERYTHING, NOT_OPTED_OUT, OptOut, read_state, state_path
from alma_countme.statusfacts import FROM_MAIN_CONFIG, FROM_REPO_FILE, RepoFacts

BASEOS = (
    b"[baseos]\r\n"
    b"name=AlmaLinux $releasever - BaseOS\r\n"
    b"mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/baseos\r\n"
    b"countme = 1\r\n"
    b"\r\n"
    b"[baseos-source]\r\n"
    b"name=src\r\n"
)
APPSTREAM = b"# no countme line: it comes from dnf.conf\n[appstream]\nname=AppStream\nmirrorlist=x"


@pytest.fixture
def root(tmp_path):
    (tmp_path / "etc/yum.repos.d").mkdir(parents=True)
    (tmp_path / "etc/dnf").mkdir()
    return tmp_path


def facts(path, repo_id, countme=True, countme_from=FROM_REPO_FILE):
    return RepoFacts(repo_id, repo_id, True, False, countme, countme_from, str(path), None, "x", ())


@pytest.fixture
def repos(root):
    baseos = root / "etc/yum.repos.d/almalinux-baseos.repo"
    baseos.write_bytes(BASEOS)
    os.chmod(str(baseos), 0o640)
    os.chown(str(baseos), 1234, 5678)
    appstream = root / "etc/yum.repos.d/almalinux-appstream.repo"
    appstream.write_bytes(APPSTREAM)
    return [facts(baseos, "baseos"), facts(baseos, "baseos-source", countme=False),
            facts(appstream, "appstream", countme_from=FROM_MAIN_CONFIG)]


def file_state(path):
    info = os.stat(path)
    with open(path, "rb") as handle:
        return handle.read(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


def test_opt_out_everything_then_in(root):
    out = optcommands.opt_out(str(root), [])
    assert out.changed and out.errors == [] and out.state == EVERYTHING
    assert "every repository" in out.messages[0] and state_path(str(root)) in out.messages[0]
    assert read_state(state_path(str(root)))[0] == EVERYTHING
    again = optcommands.opt_out(str(root), [])
    assert not again.changed and "Already opted out" in again.messages[0]
    back = optcommands.opt_in(str(root))
    assert back.changed and not os.path.exists(state_path(str(root)))
    assert not optcommands.opt_in(str(root)).changed


def test_opt_out_some_repos(root):
    out = optcommands.opt_out(str(root), [], scope=["crb", "appstream"])
    assert out.state == OptOut(False, ("appstream", "crb"), ())
    recorded = state_path(str(root))
    assert out.messages == ["Opted out of countme for crb, appstream (recorded in %s)." % recorded]
    again = optcommands.opt_out(str(root), [], scope=["crb", "extras"])
    assert again.state.repos == ("appstream", "crb", "extras")
    assert "Already opted out of countme for crb." in again.messages
    back = optcommands.opt_in(str(root), scope=["crb"])
    assert back.state.repos == ("appstream", "extras")


def test_opt_in_one_repo_while_everything_is_opted_out_is_an_error(root):
    optcommands.opt_out(str(root), [])
    back = optcommands.opt_in(str(root), scope=["baseos"])
    assert back.errors and "without --repo" in back.errors[0]
    assert read_state(state_path(str(root)))[0] == EVERYTHING


def test_repo_files_round_trip_is_byte_identical(root, repos):
    paths = sorted(set(repo.repofile for repo in repos))
    before = {path: file_state(path) for path in paths}
    out = optcommands.opt_out(str(root), repos, repo_files=True)
    assert out.errors == []
    baseos, appstream = repos[0].repofile, repos[2].repofile
    assert file_state(baseos)[0] == BASEOS.replace(b"countme = 1", b"countme = 0")
    assert file_state(baseos)[1:] == (0o640, 1234, 5678)
    assert file_state(appstream)[0] == APPSTREAM.replace(b"[appstream]\n", b"[appstream]\ncountme=0\n")
    assert "Set countme = 0 at %s:4 [baseos] (was: countme = 1)." % baseos in out.messages
    assert "Added countme=0 at %s:3 [appstream]." % appstream in out.messages
    assert len(read_state(state_path(str(root)))[0].edits) == 2

    again = optcommands.opt_out(str(root), repos, repo_files=True)
    assert not again.changed and "repo files unchanged" in again.messages[-1]

    back = optcommands.opt_in(str(root))
    assert back.errors == []
    assert {path: file_state(path) for path in paths} == before
    assert not os.path.exists(state_path(str(root)))


def test_opt_in_one_repo_undoes_only_its_edits(root, repos):
    optcommands.opt_out(str(root), repos, scope=["baseos", "appstream"], repo_files=True)
    back = optcommands.opt_in(str(root), scope=["appstream"])
    assert back.errors == []
    assert file_state(repos[2].repofile)[0] == APPSTREAM
    assert b"countme = 0" in file_state(repos[0].repofile)[0]
    state = read_state(state_path(str(root)))[0]
    assert state.repos == ("baseos",) and [edit.section for edit in state.edits] == ["baseos"]
    optcommands.opt_in(str(root), scope=["baseos"])
    assert file_state(repos[0].repofile)[0] == BASEOS
    assert not os.path.exists(state_path(str(root)))


def test_a_line_changed_after_opt_out_is_reported_and_stays_recorded(root, repos):
    optcommands.opt_out(str(root), repos[:1], repo_files=True)
    path = repos[0].repofile
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data.replace(b"countme = 0", b"countme=no"))
    back = optcommands.opt_in(str(root))
    assert len(back.errors) == 1 and "%s [baseos]" % path in back.errors[0]
    assert "countme = 1" in back.errors[0]
    state = read_state(state_path(str(root)))[0]
    assert (state.all, state.repos, len(state.edits)) == (False, (), 1)


def test_unreadable_repo_file_is_an_error_but_the_opt_out_stands(root, repos):
    broken = facts(root / "etc/yum.repos.d", "broken")
    out = optcommands.opt_out(str(root), [broken], repo_files=True)
    assert out.state.all and len(out.errors) == 1 and "Cannot read" in out.errors[0]
    assert read_state(state_path(str(root)))[0].all


def test_unwritable_repo_file_leaves_no_record(root, repos):
    """/etc/yum.repos.d on a read-only file system (a real read-only bind mount); /etc/dnf writable."""
    paths = sorted(set(repo.repofile for repo in repos))
    before = {path: file_state(path) for path in paths}
    with read_only_bind_mount(root / "etc/yum.repos.d"):
        out = optcommands.opt_out(str(root), repos, repo_files=True)
    assert out.errors == ["Cannot write %s: Read-only file system; left it as it is." % path
                          for path in (repos[0].repofile, repos[2].repofile)]
    # The record of the edits, written before each file, is taken back: the opt-out stands, no edits.
    assert out.state == EVERYTHING and read_state(state_path(str(root)))[0] == EVERYTHING
    assert {path: file_state(path) for path in paths} == before
    assert sorted(os.listdir(str(root / "etc/yum.repos.d"))) == [os.path.basename(path) for path in paths]


@pytest.mark.parametrize("scope", [None, ["crb"], ["crb", "baseos"]])
def test_damaged_state_is_never_narrowed_by_opt_out(root, scope):
    path = root / "etc/dnf/countme-optout"
    path.write_text("garbage")
    out = optcommands.opt_out(str(root), [], scope=scope)
    assert out.errors == [] and out.changed
    assert out.state == EVERYTHING and read_state(str(path)) == (EVERYTHING, None)
    message = " ".join(out.messages)
    assert str(path) in message
    assert "was damaged or unreadable: not JSON (Expecting value at line 1, column 1)." in message
    if scope:
        assert "stay opted out" in message and "'dnf countme opt-in'" in message
        assert "'dnf countme opt-out --repo %s'" % ",".join(scope) in message


def test_damaged_state_is_removed_by_opt_in_with_one_clean_sentence(root):
    path = root / "etc/dnf/countme-optout"
    path.write_text("garbage")
    back = optcommands.opt_in(str(root))
    assert back.state == NOT_OPTED_OUT and not path.exists()
    assert back.messages == [
        "Removed the opt-out file %s, which was damaged or unreadable: not JSON (Expecting value at line 1, "
        "column 1). Any record it held of countme=0 lines written by 'opt-out --repo-files' is gone: "
        "'dnf countme status' shows the repo file lines that still set countme." % path]


@pytest.mark.parametrize("command", ["opt-in", "opt-out", "opt-out --repo"])
def test_directory_at_the_state_path_is_named_and_left_alone(root, command):
    path = root / "etc/dnf/countme-optout"
    path.mkdir()
    (path / "keep").write_text("not ours")
    if command == "opt-in":
        out = optcommands.opt_in(str(root))
    else:
        out = optcommands.opt_out(str(root), [], scope=["crb"] if "--repo" in command else None)
    assert not out.changed and out.messages == [] and len(out.errors) == 1
    error = out.errors[0]
    assert error.startswith("Cannot ") and str(path) in error and "Is a directory" in error
    assert "Errno" not in error and "move it out of the way" in error
    assert (path / "keep").read_text() == "not ours"
    assert os.listdir(str(root / "etc/dnf")) == ["countme-optout"]  # no temporary file left


def test_opt_in_names_the_current_line_after_the_file_was_edited(root, repos):
    baseos = repos[0].repofile
    out = optcommands.opt_out(str(root), repos, repo_files=True)
    assert "Set countme = 0 at %s:4 [baseos]" % baseos in " ".join(out.messages)
    with open(baseos, "rb") as handle:
        edited = handle.read()
    with open(baseos, "wb") as handle:
        handle.write(b"# a comment the admin added\r\n# and another\r\n" + edited)
    back = optcommands.opt_in(str(root))
    assert back.errors == []
    assert "Restored %s:6 [baseos] to: countme = 1." % baseos in back.messages
    assert file_state(baseos)[0] == b"# a comment the admin added\r\n# and another\r\n" + BASEOS


def test_a_line_that_is_gone_is_reported_by_section_not_by_a_stale_number(root, repos):
    baseos = repos[0].repofile
    optcommands.opt_out(str(root), repos, repo_files=True, scope=["baseos"])
    with open(baseos, "wb") as handle:
        handle.write(b"# added\n" + BASEOS.replace(b"countme = 1\r\n", b""))
    back = optcommands.opt_in(str(root))
    assert back.errors == ["Not restored: %s [baseos]: no line reads 'countme = 0' as opt-out left it "
                           "(it wrote line 4 then). Before opt-out the line read: countme = 1" % baseos]
