"""The tests that run programs as another user pass from a clone other users cannot enter.

A clone in a ``mktemp -d`` folder (mode 0700) is out of ``nobody``'s reach; those
tests must take what they run from a world-readable copy (tests/publiccopy.py).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import countme_harness

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AS_ANOTHER_USER = [
    "tests/plugin/test_plugin_realdnf.py::test_status_works_without_root",
    "tests/harness/test_demo.py::test_real_refuses_without_root_and_says_why",
]


@pytest.mark.realdnf
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run tests as another user")
@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_tests_as_another_user_pass_from_a_private_clone():
    missing = countme_harness.missing_requirements()
    if missing:
        pytest.skip("; ".join(missing))
    private = tempfile.mkdtemp(prefix="alma-countme-private-")  # mode 0700, like mktemp -d
    try:
        clone = os.path.join(private, "alma-countme")
        listed = subprocess.run(["git", "-C", CHECKOUT, "ls-files", "-z"], check=True,
                                stdout=subprocess.PIPE).stdout.decode().split("\0")
        for name in filter(None, listed):
            source = os.path.join(CHECKOUT, name)
            if os.path.isfile(source):
                os.makedirs(os.path.join(clone, os.path.dirname(name)), exist_ok=True)
                shutil.copy2(source, os.path.join(clone, name))
        assert os.stat(private).st_mode & 0o777 == 0o700
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
             os.path.join(private, "pytest")] + AS_ANOTHER_USER,
            cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
        # One run of the status test per real client (tests/conftest.py), one of the demo test.
        tail = result.stdout[-3000:]
        assert result.returncode == 0 and " failed" not in tail and " skipped" not in tail, tail
        passed = re.search(r"(\d+) passed", result.stdout)
        assert passed and int(passed.group(1)) >= len(AS_ANOTHER_USER), tail
    finally:
        shutil.rmtree(private, ignore_errors=True)
