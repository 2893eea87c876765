"""What generate tells a person at a terminal: a progress bar that says what it counts, clean paths."""

import fcntl
import os
import struct
import subprocess
import sys
import termios


def test_progress_bar_names_what_it_counts_and_paths_have_no_double_slash(tmp_path):
    out = str(tmp_path / "small") + "/"  # as a user types it: with a trailing slash
    primary, secondary = os.openpty()  # the bar only shows on a terminal, of some width
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "alma_countme.sim", "generate", "--out", out,
             "--set", "population.size=2000", "--set", "run.weeks=1", "--jobs", "1"],
            stdout=subprocess.PIPE, stderr=secondary, timeout=300)
        os.close(secondary)
        secondary = None
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if secondary is not None:
            os.close(secondary)
        os.close(primary)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert finished.returncode == 0, terminal
    assert "simulating blocks of systems" in terminal and "writing log files" in terminal
    assert "step" in terminal and "task" not in terminal
    assert "under %slogs in" % out in terminal and "//" not in terminal
