"""Generation: the population of systems, its weeks of requests, the ground truth, and the log
lines that encode them.
"""
