"""The solver work of disclosure protection: the attacker's intervals (HiGHS through
``scipy.optimize``), the search for suppression patterns, and their kernels.

Arrays in, arrays out: what a cell *means* (primary, secondary, the policy) lives in ``rules/``.
"""
