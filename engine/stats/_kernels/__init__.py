"""Numba kernels of the statistics: plain loops over numpy arrays, no I/O; callers validate."""
