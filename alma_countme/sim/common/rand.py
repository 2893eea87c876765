"""Randomness that does not depend on how the work is split.

Two sources, both keyed by the run's seed and by things that do not change
with ``--jobs`` or ``--shard`` (a block of system ids, a week, a purpose):

- :func:`generator`: a numpy Generator for one (purpose, block, week), used
  for draws made in a fixed order while one block's week is simulated;
- :func:`uniform` / :func:`hash64`: counter-based values, a pure function of
  their keys (a system id, a local day), for quantities that two different
  weeks must agree on, such as a desktop's working hours on a day that
  straddles a week boundary.
"""

import numpy as np

# Purposes: separate streams, so that a change in one kind of draw does not
# shift every other.
LIFECYCLE = 1
ATTRIBUTES = 2
ACTIVITY = 3
COUNTME = 4
NETWORK = 5
PLAN = 7
DESKTOP_DAY = 11
MANUAL_RUN = 14
ADDRESS = 17
ROLLOUT = 19
COUNTRY = 23

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / (1 << 53)


def generator(seed, purpose, *keys):
    """A numpy Generator for ``(seed, purpose, *keys)`` (non-negative integers)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(purpose)] +
                                                                      [int(k) for k in keys])))


def mix64(values):
    """splitmix64's finaliser on a uint64 array: a bijection that scrambles every bit."""
    x = np.asarray(values, dtype=np.uint64)
    if x.ndim:
        return _mix_in_place(x.copy())
    with np.errstate(over="ignore"):
        x = x ^ (x >> _S30)
        x = x * _M1
        x = x ^ (x >> _S27)
        x = x * _M2
        return x ^ (x >> _S31)


def _mix_in_place(x):
    """:func:`mix64` overwriting the uint64 array ``x``: one scratch array instead of five temporaries."""
    scratch = np.empty_like(x)
    with np.errstate(over="ignore"):
        np.right_shift(x, _S30, out=scratch)
        x ^= scratch
        x *= _M1
        np.right_shift(x, _S27, out=scratch)
        x ^= scratch
        x *= _M2
        np.right_shift(x, _S31, out=scratch)
        x ^= scratch
    return x


def hash64(seed, purpose, *keys):
    """A uint64 per element of the (broadcast) integer arrays ``keys``."""
    with np.errstate(over="ignore"):
        h = mix64(np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF) * _GOLDEN + np.uint64(purpose))
        for key in keys:
            key = np.asarray(key)
            # int64 keys are reinterpreted in place (the same bits astype would give); others converted.
            key = key.view(np.uint64) if key.dtype == np.int64 else key.astype(np.int64).astype(np.uint64)
            mixed = h ^ (key * _GOLDEN)  # a new array: mixed in place
            h = _mix_in_place(mixed) if isinstance(mixed, np.ndarray) and mixed.ndim else mix64(mixed)
    return h


def uniform(seed, purpose, *keys):
    """A float in [0, 1) per element of the keys: :func:`hash64`'s top 53 bits."""
    return (hash64(seed, purpose, *keys) >> _S11).astype(np.float64) * _INV53
