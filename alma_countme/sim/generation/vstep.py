"""The project's countme model over numpy arrays: many cookies, one request each.

:func:`countme_step` is :func:`alma_countme.model.client_step` applied
element-wise, built from the model's own constants and functions (WINDOW,
BUDGET, bucket_for_step, window_start) so that there is one set of rules; a
property test (tests/sim/generation/test_sim_vstep.py) checks it against client_step
request by request. Times are int64 seconds; the model's 64-bit wrap-around
is numpy's int64 arithmetic, its 32-bit narrowing of the step is astype(int32).
"""

import numpy as np

from alma_countme import model

# Every step at or below the first threshold's predecessor, and at or above the
# last threshold, has the same bucket: a table over that span, filled by the
# model's bucket_for_step, gives the bucket of any step after clipping.
_TABLE_LOW = -1
_TABLE_HIGH = model.BUCKETS[-1]
_BUCKET_TABLE = np.array(
    [model.bucket_for_step(step) for step in range(_TABLE_LOW, _TABLE_HIGH + 1)], dtype=np.int8
)
BUCKET_COUNT = len(model.BUCKETS) + 1


def weeks_between(epoch, window):
    """model.weeks_between on arrays: (window - epoch) / WINDOW truncated toward zero, as int32."""
    delta = np.asarray(window, dtype=np.int64) - np.asarray(epoch, dtype=np.int64)
    floor = delta // model.WINDOW
    inexact_negative = (delta < 0) & (delta % model.WINDOW != 0)
    return (floor + inexact_negative).astype(np.int32)


def bucket_for_step(step):
    """model.bucket_for_step on an integer array (int8 result, 1..4)."""
    clipped = np.clip(np.asarray(step, dtype=np.int64), _TABLE_LOW, _TABLE_HIGH)
    return _BUCKET_TABLE[clipped - _TABLE_LOW]


def bucket(epoch, window):
    """model.bucket on arrays."""
    return bucket_for_step(weeks_between(epoch, window))


def monday_epoch(when):
    """model.monday_epoch on an int64 array."""
    return model.monday_epoch(np.asarray(when, dtype=np.int64))


def draw_budgets(rng, size):
    """``size`` budgets as model.draw_budget draws them (uniform over 1..BUDGET), from a numpy Generator."""
    return rng.integers(1, model.BUDGET + 1, size=size, dtype=np.int64)


def window_passed(window, now):
    """Where a request at ``now`` is past its cookie's counted ``window`` (the only requests whose
    cookie libdnf changes, and the only ones that may carry countme)."""
    return now - window >= model.WINDOW


def countme_step(epoch, window, budget, now, system_epoch, draws):
    """One eligible request per element, exactly as model.client_step.

    ``epoch``, ``window``, ``budget``: the cookies; ``now``: the client's clock;
    ``system_epoch``: model.system_epoch_for's value, 0 standing for None;
    ``draws``: a budget (1..BUDGET) per element, used only where the cookie
    asks for a new one.

    Returns ``(flag, bucket, epoch, window, budget, drawn)``: ``flag`` where the
    request carries countme, ``bucket`` (0 where it does not), the cookie
    afterwards (unchanged where the window was already counted, which libdnf
    does not even write), and ``drawn`` where a draw was used.
    """
    epoch = np.asarray(epoch, dtype=np.int64)
    window = np.asarray(window, dtype=np.int64)
    budget = np.asarray(budget, dtype=np.int64)
    now = np.asarray(now, dtype=np.int64)
    system_epoch = np.broadcast_to(np.asarray(system_epoch, dtype=np.int64), now.shape)

    delta = now - window
    eligible = window_passed(window, now)
    drawn = eligible & (budget < 0)
    spent = np.where(budget < 0, draws, budget) - 1
    flag = eligible & (spent == 0)

    # The rest concerns the flagged requests only.
    rows = np.flatnonzero(flag)
    this_window = now[rows] - (delta[rows] % model.WINDOW)
    counted_epoch = np.where(system_epoch[rows] != 0, system_epoch[rows], epoch[rows])
    counted_epoch = np.where(counted_epoch == 0, this_window, counted_epoch)
    flagged_bucket = np.zeros(len(flag), np.int8)
    flagged_bucket[rows] = bucket(counted_epoch, this_window)

    new_epoch, new_window = epoch.copy(), window.copy()
    new_epoch[rows], new_window[rows] = counted_epoch, this_window
    new_budget = np.where(flag, -1, np.where(eligible, spent, budget))
    return flag, flagged_bucket, new_epoch, new_window, new_budget, drawn
