"""cputime: the CPU a phase cost this process and another, read from the kernel."""

import subprocess
import sys
import time

import pytest

from alma_countme.sim.common import cputime


def _spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_own_seconds_count_this_process_and_its_waited_children():
    before = cputime.own_seconds()
    _spin(0.2)
    subprocess.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                    "while time.process_time() < end: pass"], check=True)
    assert cputime.own_seconds() - before >= 0.45


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, which only Linux has here")
def test_a_meter_reads_another_process_while_it_runs():
    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.6\n"
                              "while time.process_time() < end: pass\nprint('spun', flush=True)\n"
                              "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        meter = cputime.Meter(child.pid).start()
        assert child.stdout.readline() == "spun\n"  # it has spent its 0.6 s, however loaded the machine
        meter.stop()
        assert 0.5 <= meter.theirs <= 1.2 and meter.mine < 0.3
        client, server = meter.per_request(1000)
        assert server == pytest.approx(meter.theirs / 1000 * 1e6, abs=0.1) and client >= 0
    finally:
        child.kill()
        child.wait()
    assert cputime.process_seconds(child.pid) is None  # gone: /proc no longer has it
