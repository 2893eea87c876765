"""The replay's latency histograms: counting a second's answers at once is counting them one by one."""

import random

from alma_countme.sim.traffic.stats import LatencyHistogram, Stats


def test_add_all_counts_as_add_one_by_one():
    generator = random.Random(7)
    latencies = [generator.lognormvariate(-7, 1.5) for _ in range(5000)] + [0.0, 1e-6, 2e-6, 30.0]
    one_by_one, at_once = LatencyHistogram(), LatencyHistogram()
    for seconds in latencies:
        one_by_one.add(seconds)
    at_once.add_all(latencies)
    assert at_once.counts == one_by_one.counts
    assert (at_once.total, at_once.max) == (one_by_one.total, one_by_one.max)
    assert abs(at_once.sum - one_by_one.sum) < 1e-9
    assert at_once.summary_ms() == one_by_one.summary_ms()


def test_flush_makes_the_window_and_adds_it_to_the_run():
    stats = Stats()
    stats.pending = [0.001, 0.002, 0.004]
    stats.flush()
    assert stats.window.total == 3 and stats.latency.total == 3 and stats.pending == []
    stats.pending = [0.008]
    stats.flush()
    assert stats.window.total == 1 and stats.window.max == 0.008
    assert stats.latency.total == 4 and stats.latency.percentile(1.0) == 0.008
    stats.flush()  # nothing pending: an empty window, the run's figures as they were
    assert stats.window.total == 0 and stats.latency.total == 4
