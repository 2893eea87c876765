"""Running countme-sim in tests: the CLI as a subprocess, and a local `serve` process."""

import re
import signal
import subprocess
import sys

READY = re.compile(r"listening on (http://\S+)")


def countme_sim(*args, check=None, timeout=120, **kwargs):
    """Run ``countme-sim ARGS`` (as ``python -m alma_countme.sim``); returns the CompletedProcess.

    ``check`` is the exit status the test expects (None: any).
    """
    result = subprocess.run([sys.executable, "-m", "alma_countme.sim"] + [str(arg) for arg in args],
                            capture_output=True, text=True, timeout=timeout, **kwargs)
    if check is not None and result.returncode != check:
        raise AssertionError("countme-sim %s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(map(str, args)), result.returncode, check, result.stdout, result.stderr))
    return result


class Serve:
    """A `countme-sim serve` process on a free port of 127.0.0.1."""

    def __init__(self, log_path, *options):
        self.log_path = str(log_path)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alma_countme.sim", "serve", "--port", "0", "--log", self.log_path]
            + list(options), stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        match = READY.search(line)
        if not match:
            self.process.kill()
            raise AssertionError("serve did not start: %r %s" % (line, self.process.stderr.read()))
        self.url = match.group(1)
        self.stderr = ""

    def stop(self):
        """SIGTERM, then wait: the server flushes its log before it exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return self.process.returncode
