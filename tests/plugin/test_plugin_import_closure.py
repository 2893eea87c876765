"""The plugin's import closure: what tools/lint checks for Python 3.6 must be all it imports.

tools/lint runs vermin over dnf-plugins/*.py and alma_countme/*.py; that only
proves AlmaLinux 8's Python 3.6 can run the plugin if the plugin never reaches
a module outside that set (the simulator, numpy, Jinja2, ...).
"""

import modulefinder
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(TOP, "dnf-plugins", "countme.py")
# Provided by the system's dnf on the target, not by this project.
SYSTEM_PACKAGES = ("dnf", "hawkey", "libdnf", "rpm", "libcomps", "gpg")


def _closure():
    finder = modulefinder.ModuleFinder(path=[TOP] + sys.path, excludes=list(SYSTEM_PACKAGES))
    finder.run_script(PLUGIN)
    return finder.modules


def test_plugin_reaches_only_top_level_package_modules_and_the_standard_library():
    stdlib = os.path.dirname(os.__file__)
    outside = []
    for name, module in _closure().items():
        path = module.__file__
        if name == "__main__" or path is None:
            continue  # the plugin itself, or a built-in module
        path = os.path.abspath(path)
        if path.startswith(os.path.join(TOP, "alma_countme") + os.sep):
            if os.path.dirname(path) != os.path.join(TOP, "alma_countme"):
                outside.append(name)  # a subpackage: not linted for 3.6
        elif not path.startswith(stdlib + os.sep) or "site-packages" in path or "dist-packages" in path:
            outside.append(name)
    assert outside == []


def test_closure_does_reach_the_package():
    # Guards the test above against a finder that sees nothing.
    names = set(_closure())
    assert {"alma_countme.runtime", "alma_countme.model", "alma_countme.cookie"} <= names
