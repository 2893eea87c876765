"""The units the simulation's modules share: time, and the sizes of a block's tables.

Its own module so that week.py, which simulates a population's week, need not
import population.py, which describes the population.
"""

from alma_countme import model
from alma_countme.sim.config import catalog as cat

DAY = 86400
WEEK = model.WINDOW
NEVER = (1 << 63) - 1  # int64's largest: the time of what does not happen
ROLE_COUNT = len(cat.ROLES)
MANUAL_SLOTS = 4  # possible dnf runs per system and (local) day
