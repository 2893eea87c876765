"""Constants and helpers shared by the plugin's tests (fixtures are in conftest.py)."""

import os

from alma_countme.model import WINDOW

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_DIR = os.path.join(CHECKOUT, "dnf-plugins")
PLUGIN_CONF = os.path.join(PLUGIN_DIR, "countme.conf")
PLUGIN_ENV = {"PYTHONPATH": CHECKOUT}

WEEK = WINDOW

DAY = 86400
# Monday 2026-11-16 00:00 UTC starts a countme window; tests run on its Thursday noon.
MONDAY = 1794787200
THURSDAY = MONDAY + 3 * DAY + 12 * 3600


def countme_warnings(stderr):
    """The lines of dnf's stderr that the plugin wrote (all start with ``countme: ``)."""
    return [line for line in stderr.splitlines() if line.startswith("countme: ")]


def write_plugin_conf(sandbox, text):
    path = os.path.join(sandbox.plugin_conf_dir, "countme.conf")
    with open(path, "w") as handle:
        handle.write(text)
    return path
