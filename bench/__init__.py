"""Benchmarks: ``python -m bench.run [--quick] [--model NAME | --compare A,B] [--sizes N,...]``."""
