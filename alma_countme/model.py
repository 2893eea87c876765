"""libdnf's countme algorithm: windows, epochs, buckets and one client step.

This is the single model of when libdnf adds ``countme=N`` to a metalink or
mirrorlist request and which N it sends. The plugin, the simulator and the
tests all use it; nothing else in the project may redo this arithmetic.

Runs on Python 3.6 (AlmaLinux 8's platform-python): standard library only.
"""

import collections
import random

# Constants shared by libdnf (Repo.cpp) and dnf5.
WINDOW = 604800  # one week, in seconds
OFFSET = 345600  # windows start on Monday 1970-01-05 00:00 UTC
BUDGET = 4  # the flag goes on one of the first 1..BUDGET eligible requests
BUCKETS = (2, 5, 25)  # step < 2 -> 1, < 5 -> 2, < 25 -> 3, else 4
COOKIE_VERSION = 0

# Names of the two ways libdnf finds a system's epoch.
EPOCH_LEGACY = "legacy"  # libdnf < 0.73.2 (AlmaLinux 8 and 9): cookie, else this window
EPOCH_MACHINE_ID = "machine-id"  # libdnf >= 0.73.2 and dnf5: /etc/machine-id mtime first
EPOCH_RULES = (EPOCH_LEGACY, EPOCH_MACHINE_ID)

BUCKET_LABELS = {
    1: "first week",
    2: "1 to 4 weeks",
    3: "5 to 24 weeks",
    4: "more than 24 weeks",
}

_INT64 = 1 << 64


def wrap_int64(value):
    """Wrap to a signed 64-bit value, as time_t arithmetic does in libdnf."""
    value %= _INT64
    return value - _INT64 if value >= (1 << 63) else value


def _c_div(numerator, denominator):
    """Integer division truncating toward zero, as C++ ``/`` does."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def _c_int(value):
    """Narrow to a 32-bit int the way the conversion in libdnf does (two's complement)."""
    value %= 1 << 32
    return value - (1 << 32) if value >= (1 << 31) else value


def window_start(when):
    """Start (Monday 00:00 UTC) of the countme window that contains ``when``."""
    return when - ((when - OFFSET) % WINDOW)


def monday_epoch(when):
    """A timestamp aligned down to its week's Monday, as libdnf aligns the system epoch."""
    return window_start(when)


def window_index(when):
    """Week number since the first window (1970-01-05), mirrors-countme's week index."""
    return (when - OFFSET) // WINDOW


def bucket_for_step(step):
    """Bucket (1..4) for a number of whole windows since the epoch."""
    for index, limit in enumerate(BUCKETS):
        if step < limit:
            return index + 1
    return len(BUCKETS) + 1


def weeks_between(epoch, window):
    """Whole windows from ``epoch`` to ``window`` (libdnf's "step", C integer arithmetic)."""
    return _c_int(_c_div(wrap_int64(window - epoch), WINDOW))


def bucket(epoch, window):
    """Bucket libdnf sends for the window starting at ``window`` given ``epoch``."""
    return bucket_for_step(weeks_between(epoch, window))


Cookie = collections.namedtuple("Cookie", "version epoch window budget")
Cookie.__doc__ = """The four integers libdnf keeps per repo: ``VERSION EPOCH WINDOW BUDGET``.

``epoch`` is the first counted window (0 = unknown), ``window`` the start of the
last counted window and ``budget`` the eligible requests still to spend before
the flag goes out (-1 = draw a new one)."""

DEFAULT_COOKIE = Cookie(COOKIE_VERSION, 0, OFFSET, -1)

# Outcomes of one step; ``reason`` of a Step tells which applied.
COUNTED = "counted"
ALREADY_COUNTED = "window already counted"
SPENDING = "budget to spend"

Step = collections.namedtuple("Step", "flag bucket cookie reason drawn")
Step.__doc__ = """What one eligible request does.

``flag`` is True when the request carries ``countme=<bucket>``; ``cookie`` is
the cookie libdnf writes back, or None when it writes nothing (window already
counted); ``drawn`` is the budget drawn for this request, or None when the
cookie's budget was carried over."""


def draw_budget(rng):
    """A new budget, uniform over 1..BUDGET, from ``rng`` (a ``random.Random``-like object)."""
    return rng.randint(1, BUDGET)


def client_step(cookie, now, system_epoch=None, rng=random):
    """One eligible request at time ``now``, exactly as libdnf's addCountmeFlag.

    ``system_epoch`` is the Monday-aligned install epoch that libdnf >= 0.73.2
    takes from /etc/machine-id (see :func:`system_epoch_for`); None is the
    legacy rule of AlmaLinux 8 and 9 (cookie epoch, else this window).
    ``rng`` provides ``randint(a, b)``; inject one to make runs repeatable.
    """
    version, epoch, win, budget = cookie
    delta = wrap_int64(now - win)
    if delta < WINDOW:
        return Step(False, None, None, ALREADY_COUNTED, None)

    drawn = None
    if budget < 0:
        drawn = draw_budget(rng)
        budget = drawn
    budget -= 1
    if budget != 0:
        return Step(False, None, Cookie(COOKIE_VERSION, epoch, win, budget), SPENDING, drawn)

    win = now - (delta % WINDOW)
    if system_epoch:
        epoch = system_epoch
    if not epoch:
        epoch = win
    counted_bucket = bucket(epoch, win)
    return Step(True, counted_bucket, Cookie(COOKIE_VERSION, epoch, win, -1), COUNTED, drawn)


def system_epoch_for(rule, machine_id_mtime):
    """The system epoch an epoch rule passes to :func:`client_step`.

    ``machine_id_mtime`` is the mtime of a valid /etc/machine-id, or None when
    the file is missing, empty or ``uninitialized``.
    """
    if rule == EPOCH_LEGACY or machine_id_mtime is None:
        return None
    if rule == EPOCH_MACHINE_ID:
        return monday_epoch(machine_id_mtime)
    raise ValueError("unknown epoch rule %r (choose from %s)" % (rule, ", ".join(EPOCH_RULES)))


def next_countable_time(cookie, now):
    """Earliest time at or after ``now`` when a request can spend budget or carry the flag.

    Before it, libdnf skips the repo with "window already counted".
    """
    if wrap_int64(now - cookie.window) >= WINDOW:
        return now
    return cookie.window + WINDOW
