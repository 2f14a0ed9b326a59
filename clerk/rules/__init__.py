"""Pure rules from the terms of reference: plain functions, no I/O, each returns a verdict and why."""
