"""Benchmarks. `python -m bench` (`make bench`): backprop_ref against hand-written NumPy and
PyTorch, one MLP training step and Conv2d forward + backward.

Not a test: one command that checks the contenders agree, times them round-robin and prints a
Markdown table (also written to bench/results/latest.md). `python -m bench --help` for options;
`python -m bench.profile` shows where backprop_ref's MLP step spends its time. Other modules
here are their own entry points (`python -m bench.<module>`).
"""


class Disagreement(AssertionError):
    """Two contenders computed different results: the benchmark refuses to time them."""
