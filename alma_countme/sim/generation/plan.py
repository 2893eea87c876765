"""The install plan: which system ids each week installs, of which class and when.

System ids are dealt out in order: the starting population first, then each
week's installs. The plan is drawn from the seed alone, so every process of a
run holds the same one.
"""

import datetime

import numpy as np

from alma_countme.sim.common import rand
from alma_countme.sim.common.errors import SimError
from alma_countme.sim.config import catalog as cat
from alma_countme.sim.config.units import DAY, WEEK
from alma_countme.sim.generation.network import BLOCK, MAX_BLOCKS


def epoch_seconds(day):
    """Seconds since 1970 of a date's midnight UTC."""
    return int((day - datetime.date(1970, 1, 1)).days) * DAY


class Plan:
    """The installs of every week: ids, classes and install times (the same in every process)."""

    def __init__(self, scenario, seed):
        self.start = epoch_seconds(scenario["run"]["start"])
        self.weeks = scenario["run"]["weeks"]
        self.initial = scenario["population"]["size"]
        classes = scenario["classes"]
        growth = scenario["population"]["growth_per_week"]
        rates = np.array([max(0.0, classes[name]["share"] * (1.0 / classes[name]["lifetime_weeks"] + growth))
                          for name in cat.CLASSES]) * self.initial
        self.first_id = []
        self.classes = []
        self.times = []
        next_id = self.initial
        for week in range(self.weeks):
            rng = rand.generator(seed, rand.PLAN, week)
            count = int(rng.poisson(rates.sum())) if rates.sum() > 0 else 0
            weights = rates / rates.sum() if rates.sum() > 0 else np.full(len(rates), 1.0 / len(rates))
            self.first_id.append(next_id)
            self.classes.append(rng.choice(len(cat.CLASSES), size=count, p=weights).astype(np.int8))
            self.times.append(self.start + week * WEEK + rng.integers(0, WEEK, size=count))
            next_id += count
        self.total_ids = next_id
        self.block_count = -(-self.total_ids // BLOCK)
        if self.block_count > MAX_BLOCKS:
            raise SimError("population.size %d with its installs needs %d system ids, more than the %d "
                           "this simulator can address" % (self.initial, self.total_ids, MAX_BLOCKS * BLOCK))

    def week_start(self, week):
        return self.start + week * WEEK

    def blocks_by(self, week):
        """Number of blocks holding any system installed by the end of ``week``."""
        last = self.first_id[week] + len(self.classes[week])
        return -(-last // BLOCK)

    def installs_in(self, block, week):
        """(local indices, classes, install times) of ``block``'s ids installed in ``week``."""
        first, count = self.first_id[week], len(self.classes[week])
        low, high = max(first, block * BLOCK), min(first + count, (block + 1) * BLOCK)
        if low >= high:
            return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int64)
        return (np.arange(low, high) - block * BLOCK, self.classes[week][low - first:high - first],
                self.times[week][low - first:high - first])

    def planned_classes(self, block):
        """Class of every id of ``block`` that a week installs (-1 for the starting ones or none)."""
        result = np.full(BLOCK, -1, np.int8)
        for week in range(self.weeks):
            local, classes, _ = self.installs_in(block, week)
            result[local] = classes
        return result

