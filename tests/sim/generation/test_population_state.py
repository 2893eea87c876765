"""A block's state between weeks: saved to a file and loaded, the next week is the same."""

import numpy as np

from alma_countme.sim.config import scenario
from alma_countme.sim.generation import blockrun


def test_a_block_loaded_from_its_file_has_the_next_week_of_the_block_kept_in_memory(tmp_path):
    setup = blockrun.Setup(scenario.load(assignments=["population.size=3000", "run.weeks=2"]), 3, "almalinux")
    kept, _, _ = blockrun.block_week(setup, 0, 0, 2)
    state = tmp_path / "b0.state"
    kept.save(state)
    loaded = setup.block(0)
    loaded.load(state)
    for name in kept.STATE:
        mine, theirs = np.asarray(getattr(kept, name)), np.asarray(getattr(loaded, name))
        assert (mine.dtype, mine.shape) == (theirs.dtype, theirs.shape), name
        assert np.array_equal(mine, theirs), name
    _, _, from_memory = blockrun.block_week(setup, 0, 1, 2, block=kept)
    _, _, from_file = blockrun.block_week(setup, 0, 1, 2, state=state)
    assert from_memory.keys() == from_file.keys() and len(from_memory["t"]) > 1000
    for name in from_memory:
        assert np.array_equal(from_memory[name], from_file[name]), name
