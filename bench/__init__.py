"""Benchmarks: each compares Fluxo with a peer or the physical limit measured in the same run."""
