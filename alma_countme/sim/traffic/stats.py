"""What a replay counts: requests, statuses, errors, and latency and lag in constant memory."""

import collections
import math

import numpy as np


class LatencyHistogram:
    """Latencies in buckets 2% wide from 1 microsecond: percentiles within 2%, memory constant."""

    RATIO = 1.02
    FLOOR = 1e-6

    def __init__(self):
        self.counts = collections.Counter()
        self.total = 0
        self.sum = 0.0
        self.max = 0.0

    def add(self, seconds, index=None):
        """Count one latency; ``index`` is its bucket when the caller knows it (:meth:`bucket`)."""
        if index is None:
            index = self.bucket(seconds)
        self.counts[index] += 1
        self.total += 1
        self.sum += seconds
        if seconds > self.max:
            self.max = seconds

    def add_all(self, seconds):
        """Count every latency of the list ``seconds``: what add does one by one, in a few numpy
        calls, so that the replay client pays an append per answer, not a logarithm."""
        if not seconds:
            return
        values = np.asarray(seconds, dtype=np.float64)
        indices = np.zeros(len(values), np.int64)
        above = values > self.FLOOR
        # math.log(x, base) is log(x) / log(base), as here.
        indices[above] = (np.log(values[above] / self.FLOOR) / math.log(self.RATIO)).astype(np.int64) + 1
        buckets, counts = np.unique(indices, return_counts=True)
        self.counts.update(dict(zip(buckets.tolist(), counts.tolist())))
        self.total += len(values)
        self.sum += float(values.sum())
        self.max = max(self.max, float(values.max()))

    @classmethod
    def bucket(cls, seconds):
        return 0 if seconds <= cls.FLOOR else int(math.log(seconds / cls.FLOOR, cls.RATIO)) + 1

    def merge(self, other):
        self.counts.update(other.counts)
        self.total += other.total
        self.sum += other.sum
        self.max = max(self.max, other.max)

    def percentile(self, fraction):
        """The upper edge of the bucket holding the ``fraction`` quantile (seconds), or None."""
        if not self.total:
            return None
        rank = max(1, math.ceil(fraction * self.total))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                return min(self.max, self.FLOOR * self.RATIO ** index)
        return self.max

    def summary_ms(self):
        if not self.total:
            return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
        result = {name: round(1000 * self.percentile(q), 3) for name, q in (("p50", .5), ("p95", .95),
                                                                            ("p99", .99))}
        result.update(max=round(1000 * self.max, 3), mean=round(1000 * self.sum / self.total, 3))
        return result


class Stats:
    """Counters of one replay; ``window`` holds what the live display shows for the last second."""

    def __init__(self):
        self.sent = 0
        self.completed = 0
        self.ok = 0
        self.as_simulated = 0  # error statuses that are the simulated service's own
        self.status = collections.Counter()
        self.errors = collections.Counter()
        self.latency = LatencyHistogram()
        self.lag = LatencyHistogram()
        self.window = LatencyHistogram()  # the latencies of the last second flushed
        self.window_completed = 0
        self.pending = []  # latencies (seconds) of the answers since the last flush
        self.peak_rate = 0.0

    def flush(self):
        """Count the pending latencies: they become the window, and are added to the run's."""
        self.window = LatencyHistogram()
        self.window.add_all(self.pending)
        self.latency.merge(self.window)
        self.pending = []

    @property
    def error_total(self):
        return sum(self.errors.values())
