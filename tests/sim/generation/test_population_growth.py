"""population.growth_per_week: the net change a week, as a share of the starting size, also where it
shrinks the population faster than its systems' lifetimes would."""

import numpy as np
import pytest

from alma_countme.sim.config import scenario
from alma_countme.sim.generation import blockrun

SIZE = 8000


def alive_by_week(growth, weeks=4, seed=3):
    settings = scenario.load(assignments=["population.size=%d" % SIZE, "run.weeks=%d" % weeks,
                                          "population.growth_per_week=%s" % growth])
    setup = blockrun.Setup(settings, seed, "almalinux")
    blocks, alive = {}, []
    for week in range(weeks):
        for b in range(setup.plan.blocks_by(week)):
            blocks[b], _, _ = blockrun.block_week(setup, b, week, 2, block=blocks.get(b))
        alive.append(sum(int(np.count_nonzero(block.status == block.ALIVE)) for block in blocks.values()))
    return alive


@pytest.mark.parametrize("growth", [0.02, -0.1, -0.3])
def test_the_population_changes_by_its_growth_each_week(growth):
    alive = alive_by_week(growth)
    changes = np.diff(alive)
    # Each week's change is growth * SIZE, give or take chance (a few standard deviations).
    assert np.all(np.abs(changes - growth * SIZE) < 0.15 * abs(growth) * SIZE + 60), (growth, alive)


def test_steeper_shrinking_is_not_clipped_to_the_same_population():
    # Before, every growth below about -1/lifetime stopped installs and nothing more: all the same.
    after_two_weeks = [alive_by_week(growth, weeks=2)[-1] for growth in (-0.05, -0.1, -0.3, -0.5)]
    assert after_two_weeks == sorted(after_two_weeks, reverse=True) and len(set(after_two_weeks)) == 4
