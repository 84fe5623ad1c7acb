"""Benchmarks; each writes its RESULTS.md next to it."""
