"""Benchmarks of the operator and the simulator; `bench/run.py` runs them (`make bench`)."""
