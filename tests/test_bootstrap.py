"""tools/bootstrap keeps its logs inside the clone, never in /tmp."""

import os
import shutil
import subprocess

import pytest

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(not os.access("/usr/bin/python3", os.X_OK), reason="no /usr/bin/python3")
def test_a_failed_pip_install_leaves_its_log_in_the_venv(tmp_path):
    (tmp_path / "tools").mkdir()
    shutil.copy2(os.path.join(CHECKOUT, "tools", "bootstrap"), str(tmp_path / "tools" / "bootstrap"))
    # A project pip cannot install (and that needs no network to find out).
    (tmp_path / "pyproject.toml").write_text("[project\nthis is not TOML\n")
    before = set(os.listdir("/tmp"))
    result = subprocess.run([str(tmp_path / "tools" / "bootstrap")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    if "bootstrap: missing:" in result.stderr or "bootstrap: run as root" in result.stderr:
        pytest.skip("system packages missing here: " + result.stderr.strip())
    assert result.returncode == 1
    log = tmp_path / ".venv" / "pip-install.log"
    assert "bootstrap: pip install failed; log: .venv/pip-install.log" in result.stderr
    assert log.is_file() and log.stat().st_size > 0
    assert not any(name.startswith("alma-countme") and name.endswith(".log")
                   for name in set(os.listdir("/tmp")) - before)
    with open(os.path.join(CHECKOUT, "tools", "bootstrap")) as handle:
        assert "/tmp" not in handle.read().replace("never in /tmp", "")
