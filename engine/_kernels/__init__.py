"""Numba kernels of the count cube: plain loops over numpy arrays, no I/O; callers validate."""
