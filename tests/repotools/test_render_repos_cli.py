"""tools/render-repos as a new user runs it: a missing path and a closed pipe get no traceback."""

import os
import subprocess
import sys

from countme_harness import CHECKOUT

RENDER = os.path.join(CHECKOUT, "tools", "render-repos")


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


# The same command in-process: render_cli.main is what the shim runs.


def test_main_in_process_reports_a_missing_path(tmp_path, capsys):
    from alma_countme.repotools import render_cli
    missing = str(tmp_path / "yum.repos.d")
    assert render_cli.main(["--check", missing]) == render_cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.err == "render-repos: error: --check %s: no such file or directory\n" % missing
    assert captured.out == ""


def test_main_in_process_lists_the_layout_as_json(capsys):
    import json

    from alma_countme.repotools import render_cli
    assert render_cli.main(["--list", "--json", "--major", "9", "--arch", "x86_64"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["majors"]) == ["9"] and list(report["majors"]["9"]) == ["x86_64"]
    assert "baseos" in report["majors"]["9"]["x86_64"]["almalinux-baseos.repo"]
