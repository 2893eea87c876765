"""tools/plugin-overhead: measures the plugin's cost on a dnf run without network work."""

import json
import os
import subprocess
import sys

from plugintools import CHECKOUT

TOOL = os.path.join(CHECKOUT, "tools", "plugin-overhead")


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=300, check=False)


def test_help_is_truthful():
    result = run_tool("--help")
    assert result.returncode == 0
    for option in ("--runs", "--repos", "--json", "--keep"):
        assert option in result.stdout


def test_bad_arguments_are_refused():
    result = run_tool("--runs", "0")
    assert result.returncode == 2 and "--runs must be between 1 and 1000" in result.stderr


def test_measures_with_and_without_the_plugin(real_dnf):
    result = run_tool("--runs", "2", "--repos", "2", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["runs"], figures["repos"], figures["network_requests"]) == (2, 2, 0)
    for clock in ("wall", "cpu"):
        assert figures[clock]["with_plugin_ms"]["mean"] > 0
        assert figures[clock]["without_plugin_ms"]["mean"] > 0
    # The hook logged its own time on each run with the plugin: a few stat()s and reads, far below 50 ms.
    assert 0 < figures["config_hook_ms"]["max"] < 50
    assert "run 2/2" in result.stderr
