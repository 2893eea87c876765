"""Helpers for the simulator's tests (comparing output trees)."""

import filecmp
import os


def tree(root):
    """{relative path: absolute path} of every file under ``root``."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            found[os.path.relpath(path, root)] = path
    return found


def same_trees(left, right):
    """Names that differ between two directories (missing on a side, or different bytes)."""
    a, b = tree(left), tree(right)
    differ = sorted(set(a) ^ set(b))
    differ += sorted(name for name in set(a) & set(b) if not filecmp.cmp(a[name], b[name], shallow=False))
    return differ
