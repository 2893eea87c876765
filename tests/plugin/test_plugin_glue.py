"""dnf-plugins/countme.py in-process, on dnf's own Base and repo objects (no subprocess, no network).

The real-dnf tests run the whole dnf; these pin down what the thin glue does with dnf's objects:
runtime priority for the opt-out, and one warning (never an exception) when a step fails.
"""

import importlib.util
import logging
import os

import pytest
from plugintools import PLUGIN_DIR, THURSDAY, WEEK

dnf = pytest.importorskip("dnf", reason="needs dnf's Python bindings (python3-dnf)")

from alma_countme import installtime  # noqa: E402
from alma_countme.cookie import cookie_path, parse_cookie  # noqa: E402
from alma_countme.model import monday_epoch  # noqa: E402
from alma_countme.optout import OptOut, state_path, write_state  # noqa: E402

MIRRORLIST = "http://127.0.0.1:9/mirrorlist/$releasever/baseos"


@pytest.fixture(scope="module")
def plugin_module():
    spec = importlib.util.spec_from_file_location("countme_plugin_under_test",
                                                  os.path.join(PLUGIN_DIR, "countme.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def base(tmp_path, monkeypatch):
    root = tmp_path / "root"
    # The plugin reads the running system's machine-id; this unit test's root stands for it.
    monkeypatch.setattr(installtime, "RUNNING_ROOT", str(root))
    (root / "etc/yum.repos.d").mkdir(parents=True)
    (root / "etc/dnf/plugins").mkdir(parents=True)
    (root / "etc/yum.repos.d/baseos.repo").write_text(
        "[baseos]\nname=BaseOS\nmirrorlist=%s\ncountme=1\n" % MIRRORLIST)
    machine_id = root / "etc/machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    os.utime(str(machine_id), (THURSDAY - 10 * WEEK,) * 2)
    instance = dnf.Base()
    conf = instance.conf
    conf.installroot = str(root)
    conf.persistdir = str(root / "var/lib/dnf")  # never the host's /var/lib/dnf
    conf.cachedir = str(root / "var/cache/dnf")
    conf.reposdir = [str(root / "etc/yum.repos.d")]
    conf.pluginconfpath = [str(root / "etc/dnf/plugins")]
    conf.substitutions["releasever"] = "9"
    instance.read_all_repos()
    yield instance
    instance.close()


def plugin_warnings(caplog):
    return [record.getMessage() for record in caplog.records
            if record.levelno == logging.WARNING and record.getMessage().startswith("countme: ")]


def test_opt_out_wins_over_the_command_line_at_runtime_priority(plugin_module, base, caplog):
    repo = base.repos["baseos"]
    repo._set_value("countme", True, dnf.conf.PRIO_COMMANDLINE)  # as --setopt=baseos.countme=1
    write_state(state_path(base.conf.installroot), OptOut(True, (), ()))
    plugin = plugin_module.Countme(base, None)
    plugin.config()
    assert repo.countme is False and repo._get_priority("countme") == dnf.conf.PRIO_RUNTIME
    main_priority = base.conf._get_priority("countme")
    assert plugin.configured["baseos"] == (True, dnf.conf.PRIO_COMMANDLINE, main_priority)
    assert plugin_warnings(caplog) == []


def test_install_epoch_written_through_dnf_objects(plugin_module, base):
    plugin_module.Countme(base, None).config()
    path = cookie_path(base.conf.persistdir, "baseos", mirrorlist=MIRRORLIST.replace("$releasever", "9"))
    with open(path) as handle:
        cookie = parse_cookie(handle.read())
    assert cookie.epoch == monday_epoch(THURSDAY - 10 * WEEK)
    assert base.repos["baseos"]._repo.getCachedir().endswith(os.path.basename(os.path.dirname(path)))


def cookie_epoch(base):
    path = cookie_path(base.conf.persistdir, "baseos", mirrorlist=MIRRORLIST.replace("$releasever", "9"))
    with open(path) as handle:
        return parse_cookie(handle.read()).epoch


def test_a_failing_step_logs_one_warning_and_the_later_steps_still_run(plugin_module, base, caplog, mocker):
    # The opt-out step (third of config()'s four) fails; the install epoch step after it must still run.
    mocker.patch.object(plugin_module.runtime, "choices", side_effect=RuntimeError("boom"))
    plugin = plugin_module.Countme(base, None)
    plugin.config()
    warnings = plugin_warnings(caplog)
    assert len(warnings) == 1
    assert "enforcing the countme opt-out" in warnings[0] and "RuntimeError: boom" in warnings[0]
    assert "dnf goes on" in warnings[0]
    assert "baseos" in plugin.configured  # the step before it ran
    assert cookie_epoch(base) == monday_epoch(THURSDAY - 10 * WEEK)  # the step after it ran


def test_a_failing_last_step_keeps_what_the_earlier_ones_did(plugin_module, base, caplog, mocker):
    mocker.patch.object(plugin_module.runtime, "write_install_epochs", side_effect=RuntimeError("boom"))
    write_state(state_path(base.conf.installroot), OptOut(False, ("baseos",), ()))
    plugin_module.Countme(base, None).config()
    warnings = plugin_warnings(caplog)
    assert len(warnings) == 1
    assert "writing the install epoch" in warnings[0] and "RuntimeError: boom" in warnings[0]
    assert "dnf goes on" in warnings[0]
    assert base.repos["baseos"].countme is False  # the opt-out step ran before


def test_malformed_config_value_is_one_warning(plugin_module, base, caplog):
    conf = os.path.join(base.conf.pluginconfpath[0], "countme.conf")
    with open(conf, "w") as handle:
        handle.write("[main]\nenabled=1\nepoch_source=sometimes\n")
    plugin = plugin_module.Countme(base, None)
    plugin.config()
    assert plugin.conf_path == conf and plugin.settings.epoch_source == "machine-id"
    warnings = plugin_warnings(caplog)
    assert len(warnings) == 1 and conf in warnings[0] and "epoch_source=sometimes" in warnings[0]


def test_unparsable_config_file_is_one_warning(plugin_module, base, caplog):
    with open(os.path.join(base.conf.pluginconfpath[0], "countme.conf"), "w") as handle:
        handle.write("this is no ini file\n[main\n")
    plugin = plugin_module.Countme(base, None)
    plugin.config()
    warnings = plugin_warnings(caplog)
    path = os.path.join(base.conf.pluginconfpath[0], "countme.conf")
    assert warnings == ["countme: %s cannot be read as an INI file (IniParser: Missing section header at "
                        "line 1); ignoring it: the plugin stays enabled with its default settings" % path]
    assert plugin.settings.epoch_source == "machine-id"


def test_dnf_loader_reads_a_broken_config_without_raising(plugin_module, base):
    """dnf's _check_enabled calls the class's read_config; dnf's own raises on these files."""
    import dnf.exceptions
    import dnf.plugin

    path = os.path.join(base.conf.pluginconfpath[0], "countme.conf")
    for text in ("this is no ini file\n", "[main]\nenabled=maybe\n"):
        with open(path, "w") as handle:
            handle.write(text)
        try:
            dnfs_own = dnf.plugin.Plugin.read_config.__func__
            dnfs_own(plugin_module.Countme, base.conf).getboolean("main", "enabled")
        except (dnf.exceptions.ConfigError, ValueError):
            pass  # dnf's own reading fails: what the plugin must not do
        else:
            raise AssertionError("dnf's read_config accepted %r; the test no longer shows the problem" % text)
        parser = plugin_module.Countme.read_config(base.conf)
        assert not (parser.has_section("main") and parser.has_option("main", "enabled"))
    with open(path, "w") as handle:
        handle.write("[main]\nenabled=0\n")
    assert plugin_module.Countme.read_config(base.conf).getboolean("main", "enabled") is False
