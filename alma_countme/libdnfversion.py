"""Which libdnf rule for the countme epoch is running.

libdnf 0.73.2 (2024) started taking the system epoch from /etc/machine-id
itself; older libdnf (AlmaLinux 8's 0.63, AlmaLinux 9's 0.69) uses the
cookie's epoch, else the first counted window. The plugin only writes the
install epoch into cookies for the older ones.

Runs on Python 3.6: standard library only.
"""

import re

from .model import EPOCH_LEGACY, EPOCH_MACHINE_ID

DERIVES_EPOCH_SINCE = (0, 73, 2)


def parse_version(text):
    """``"0.69.0"`` -> ``(0, 69, 0)``; stops at the first part that is not a number."""
    parts = []
    for piece in str(text).strip().split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group(0)))
        if match.end() != len(piece):
            break
    if not parts:
        raise ValueError("not a libdnf version: %r" % (text,))
    return tuple(parts)


def derives_epoch_itself(version_text):
    """True when this libdnf already takes the epoch from /etc/machine-id."""
    return parse_version(version_text) >= DERIVES_EPOCH_SINCE


def epoch_rule(version_text):
    """The model's name (:data:`model.EPOCH_RULES`) for the rule this libdnf follows."""
    return EPOCH_MACHINE_ID if derives_epoch_itself(version_text) else EPOCH_LEGACY
