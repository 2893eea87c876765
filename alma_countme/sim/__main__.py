"""``python3 -m alma_countme.sim``: the countme-sim command."""

import sys

from alma_countme.sim.commands.cli import main

sys.exit(main())
