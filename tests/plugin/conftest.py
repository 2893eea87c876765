"""Fixtures for the countme plugin's tests: a sandbox with the project's plugin enabled.

The plugin is loaded from the checkout's dnf-plugins/ (dnf.conf ``pluginpath``)
with its shipped countme.conf, and finds the ``alma_countme`` package through
PYTHONPATH, as the RPM finds it in site-packages.
"""

import os
import shutil

import publiccopy
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


@pytest.fixture(scope="session")
def public_plugin():
    """The plugin and its package in a directory any user can read (see tests/publiccopy.py)."""
    top = publiccopy.public_copy(["dnf-plugins/countme.py", "alma_countme/*.py"])
    yield top
    publiccopy.remove(top)


@pytest.fixture
def dnf(plugin_sandbox, run_dnf, request):
    """``run_dnf`` for the plugin sandbox, with ``alma_countme`` importable by the system dnf.

    Runs as another user (``user=``) take the plugin from a world-readable copy:
    the checkout itself may be out of that user's reach.
    """

    def run(args=None, env=None, user=None, **kwargs):
        environment = dict(PLUGIN_ENV, **(env or {}))
        if user is None:
            return run_dnf(args, env=environment, **kwargs)
        public = request.getfixturevalue("public_plugin")
        environment["PYTHONPATH"] = public
        saved = list(plugin_sandbox.plugin_dirs)
        plugin_sandbox.plugin_dirs[:] = [os.path.join(public, "dnf-plugins") if path == PLUGIN_DIR else path
                                         for path in saved]
        try:
            return run_dnf(args, env=environment, user=user, **kwargs)
        finally:
            plugin_sandbox.plugin_dirs[:] = saved

    return run
