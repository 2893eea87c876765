"""tools/render-repos as a new user runs it: a missing path and a closed pipe get no traceback."""

import os
import subprocess
import sys

RENDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "render-repos")


def test_check_of_a_missing_path_is_one_line_exit_2(tmp_path):
    missing = str(tmp_path / "yum.repos.d")
    result = subprocess.run([sys.executable, RENDER, "--check", missing], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "render-repos: error: --check %s: no such file or directory\n" % missing
    assert result.stdout == ""


def test_list_into_a_closed_pipe_is_quiet():
    with subprocess.Popen([sys.executable, RENDER, "--list"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        process.stdout.close()  # the reader is gone before anything is written, as `| head` may be
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0
    assert "Traceback" not in stderr
