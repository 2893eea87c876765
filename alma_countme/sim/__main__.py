"""``python3 -m alma_countme.sim``: the countme-sim command."""

import sys

from alma_countme.sim.cli import main

sys.exit(main())
