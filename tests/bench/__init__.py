"""Benchmarks, run by `make bench` (`python -m tests.bench [NAME ...]`), never by the test suite.

Each starts what it measures on 127.0.0.1, loads it for a fixed time, stops by itself, and
reports a ratio against a reference measured in the same run (the machines are shared and
noisy). docs/BENCHMARKS.md keeps the commands, the machine and the figures.
"""
