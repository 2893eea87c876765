"""countme-sim: simulated AlmaLinux countme traffic with its ground truth.

Python >= 3.9 with numpy; never imported by the dnf plugin or by the
top-level ``alma_countme`` modules, which must stay standard-library Python 3.6.
"""
