"""The life of a block of systems in a run, in one place: made, started, then week by week.

:class:`Setup` holds what every block of a run shares (the catalog, the
scenario's numbers, the install plan, the countries). :func:`block_week` gives
one week of one block: it makes the block, or loads its state from the week
before, or starts it (:func:`start`: the state before the run, then the
warm-up week), begins the week and simulates it. The engine runs it in its
worker processes, saving each block's state to a file between weeks; the tests
run it in one process, keeping the blocks.
"""

import os

from alma_countme.sim.config import catalog as cat
from alma_countme.sim.generation import countries
from alma_countme.sim.generation.params import Params
from alma_countme.sim.generation.plan import Plan
from alma_countme.sim.generation.population import Block
from alma_countme.sim.generation.week import WeekSimulation


class Setup:
    """What every block of a run shares, from the scenario, the seed and the log format."""

    def __init__(self, scenario, seed, fmt):
        self.seed = seed
        self.catalog = cat.Catalog(scenario, fmt)
        self.params = Params(scenario, self.catalog)
        self.plan = Plan(scenario, seed)
        self.countries = countries.from_scenario(scenario, seed, self.plan.block_count)
        self.params.countries = self.countries

    def block(self, number):
        """Block ``number`` with its attributes drawn and no state yet (:func:`start` or Block.load)."""
        return Block(number, self.seed, self.params, self.catalog, self.plan)


def start(setup, block):
    """Bring a new block to its state before the run: the starting systems, then the warm-up week."""
    warm_up = block.start(setup.plan.week_start(0))
    if warm_up is not None:
        systems, which = warm_up
        WeekSimulation(systems, 1).warm_up(which)


def block_week(setup, number, week, servers, block=None, state=None):
    """Block ``number``'s ``week`` over ``servers`` service nodes.

    The block is ``block`` when given (the same block after its previous
    week), else the one the file ``state`` holds when it exists (Block.save
    after the previous week), else a new one, started. Returns (the block,
    its week.WeekSimulation after the run, the week's lines as columns).
    """
    if block is None:
        block = setup.block(number)
        if state is not None and os.path.exists(state):
            block.load(state)
        else:
            start(setup, block)
    block.begin_week(week)
    simulation = WeekSimulation(block.week_systems(week), servers)
    return block, simulation, simulation.run()
