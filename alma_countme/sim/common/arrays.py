"""Sort-based distinct values: numpy's hash-based np.unique is many times slower on big arrays."""

import numpy as np


def _starts(ordered):
    keep = np.empty(len(ordered), bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return keep


def distinct(values):
    """The sorted distinct values of a 1-D array."""
    ordered = np.sort(values)
    return ordered[_starts(ordered)]


def distinct_inverse(values):
    """(sorted distinct values, index of each value among them as int32)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = _starts(ordered)
    inverse = np.empty(len(values), np.int32)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def distinct_first(values):
    """(sorted distinct values, index of the first occurrence of each)."""
    order = np.argsort(values, kind="stable")
    starts = _starts(values[order])
    return values[order][starts], order[starts]
