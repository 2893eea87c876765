"""What every part of the simulator shares: its error type, seeded random streams, array helpers,
writing a result file whole."""
