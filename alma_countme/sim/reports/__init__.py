"""Reports on a run: verifying a server's totals against the truth, charts, comparison with real
published totals, and the rollout analysis.
"""
