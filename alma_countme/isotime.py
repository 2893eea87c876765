"""Times as ``dnf countme status`` writes them: ISO 8601 in UTC, or None when there is no time.

Runs on Python 3.6: standard library only.
"""

import time


def iso_time(when):
    """``2026-11-16T09:30:00Z`` for a Unix time; None for None or a time the platform cannot convert."""
    if when is None:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    except (OverflowError, ValueError, OSError):
        return None


def iso_date(when):
    """The date part of :func:`iso_time`: ``2026-11-16``."""
    text = iso_time(when)
    return text[:10] if text else None
