"""Benchmarks: ``python -m bench.run [--quick] [--sizes 1000,10000,100000]``."""
