"""Fixtures for the countme plugin's tests: a sandbox with the project's plugin enabled.

The plugin is loaded from the checkout's dnf-plugins/ (dnf.conf ``pluginpath``)
with its shipped countme.conf, and finds the ``alma_countme`` package through
PYTHONPATH, as the RPM finds it in site-packages.
"""

import os
import shutil

import pytest
from plugintools import PLUGIN_CONF, PLUGIN_DIR, PLUGIN_ENV, THURSDAY, WEEK


@pytest.fixture
def plugin_sandbox(sandbox, mirror_server):
    """The harness sandbox with the plugin on and one countable repo, ``baseos`` (mirrorlist)."""
    sandbox.plugin_dirs.append(PLUGIN_DIR)
    shutil.copy(PLUGIN_CONF, os.path.join(sandbox.plugin_conf_dir, "countme.conf"))
    sandbox.add_repo("baseos", mirrorlist=mirror_server.url + "/mirrorlist/$releasever/baseos")
    # The fake dates are before the real one: a machine-id written now would be "in the future".
    sandbox.write_machine_id(mtime=THURSDAY - 2 * WEEK)
    return sandbox


@pytest.fixture
def dnf(plugin_sandbox, run_dnf):
    """``run_dnf`` for the plugin sandbox, with ``alma_countme`` importable by the system dnf."""

    def run(args=None, env=None, **kwargs):
        return run_dnf(args, env=dict(PLUGIN_ENV, **(env or {})), **kwargs)

    return run
