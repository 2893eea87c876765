"""Shared logic of the AlmaLinux countme tooling.

The modules at this level (model, cookie, useragent and the plugin's helpers)
run on Python 3.6 with the standard library only, because AlmaLinux 8's dnf
imports them. The simulator lives in ``alma_countme.sim`` and may need more.
"""

__version__ = "0.1.0"
