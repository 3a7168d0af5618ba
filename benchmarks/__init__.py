"""Benchmarks: the large data set and the page query counts and latencies."""
